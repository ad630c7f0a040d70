"""The HTTP API and page of one trained classifier (``create_app``), or of a run or model file
(``app_for``).

Predictions go through the micro-batcher (one worker thread: concurrent requests share forward
passes); explanations and gate views, many passes for one text, through a small bounded thread
pool. Both refuse at once (503) when full, and give up after ``timeout_s`` (504). Everything the
model computes is pure, so these threads share one loaded classifier.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response

from .. import __version__
from .batching import MicroBatcher
from .errors import BodySizeLimit, JSONBodyRoute, install
from .inspection import inspection
from .limits import Limits, Refused
from .metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from .model_card import model_card
from .page import add_page
from .pool import BoundedPool
from .schemas import (
    ErrorBody,
    ExplainRequest,
    ExplainResponse,
    InspectRequest,
    InspectResponse,
    PredictRequest,
    PredictResponse,
)

DESCRIPTION = """Classify texts with a trained rnnkit model, see which words decided, and look
at its gates. Every error is `{"error": "one line", "limit": {…}}`; the limits are in
`GET /v1/model` under `limits`."""

#: the refusals every POST endpoint may answer with, for /docs
REFUSALS = {code: {"model": ErrorBody, "description": what} for code, what in (
    (400, "malformed JSON, an empty body, or a body that is not UTF-8"),
    (413, "past max_body_bytes, max_texts or max_chars"),
    (415, "not sent as application/json"),
    (422, "a wrong type, a missing or unknown key, an empty list, or past max_steps"),
    (503, "the queue is full (queue_texts / queue_requests) or the server is stopping"),
    (504, "no answer within timeout_s"))}


def app_for(source: str | Path, limits: Limits | None = None) -> FastAPI:
    """The app serving a run directory or a model file that reads raw text."""
    from ..classifier import load_classifier
    source, limits = Path(source), limits or Limits()
    classifier = load_classifier(source)
    return create_app(classifier, model_card(classifier, source, limits), limits)


def create_app(classifier, card: dict, limits: Limits) -> FastAPI:
    metrics = Metrics()
    batcher = MicroBatcher(classifier.predict_details, limits, metrics.queue_changed,
                           metrics.batch_done)
    pool = BoundedPool(limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        batcher.start()
        try:
            yield
        finally:                  # uvicorn has finished the requests in flight by now
            batcher.stop()
            pool.close()

    app = FastAPI(title=f"rnnkit: {card['name']}", version=__version__,
                  description=DESCRIPTION, lifespan=lifespan)
    app.state.batcher, app.state.pool, app.state.card = batcher, pool, card
    install(app)
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)      # outermost: counts refusals too
    app.include_router(_api(classifier, card, limits, batcher, pool))
    app.include_router(_operations(batcher, pool, metrics))
    add_page(app)
    return app


def _api(classifier, card: dict, limits: Limits, batcher: MicroBatcher,
         pool: BoundedPool) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=JSONBodyRoute, responses=REFUSALS)

    @api.post("/predict", response_model=PredictResponse)
    async def predict(request: PredictRequest):
        """Classify texts: one result per text, in order, as `rnnkit predict --json` prints
        them (an empty text gets `"error": "empty text"` instead of a label)."""
        limits.check_texts(request.texts)
        return {"results": await batcher.classify(request.texts)}

    @api.post("/explain", response_model=ExplainResponse)
    async def explain(request: ExplainRequest):
        """Which words of one text moved the prediction: one attribution per word."""
        _check_one_text(request.text, limits)
        limits.check_steps(request.steps)
        return await pool.run(_explanation, classifier, request)

    @api.post("/inspect", response_model=InspectResponse)
    async def inspect(request: InspectRequest):
        """Every recurrent layer's gates and states over one text's words."""
        _check_one_text(request.text, limits)
        if not card["recurrent_layers"]:
            raise Refused("this model has no recurrent layer to inspect")
        return await pool.run(inspection, classifier, request.text)

    @api.get("/model")
    async def model() -> dict:
        """Classes, recipe, architecture, maxlen, vocabulary size, test metrics, limits and
        the rnnkit version."""
        return card

    return api


def _check_one_text(text: str, limits: Limits) -> None:
    limits.check_text(text)
    if not text.strip():
        raise Refused("text is blank; give some words to read")


def _explanation(classifier, request: ExplainRequest) -> dict:
    return classifier.explain(request.text, method=request.method, target=request.target,
                              steps=request.steps, engine="numpy").as_json()


def _operations(batcher: MicroBatcher, pool: BoundedPool, metrics: Metrics) -> APIRouter:
    ops = APIRouter(tags=["operations"])

    @ops.get("/healthz")
    async def healthz() -> dict:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @ops.get("/readyz")
    async def readyz():
        """Readiness: the model is loaded and its batcher is taking texts (503 otherwise)."""
        if not batcher.alive:
            return JSONResponse({"ready": False, "error": "the batcher is not running (the "
                                 "server is starting or stopping)"}, 503)
        return {"ready": True, "queue_texts": batcher.waiting, "queue_requests": pool.held}

    @ops.get("/metrics")
    async def prometheus() -> Response:
        """Prometheus text format: requests and latency by endpoint and status, texts
        classified, texts per forward pass, texts waiting."""
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    return ops
