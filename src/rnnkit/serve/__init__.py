"""Serve a trained classifier over HTTP: a JSON API, Prometheus metrics and a web page
(``rnnkit serve RUN``; docs/serving.md).

Needs the ``serve`` extra (``pip install "rnnkit[serve]"``: FastAPI, uvicorn,
prometheus-client). ``limits`` imports none of them, so the command can read its flags and say
what is missing in one line; ``app`` (``app_for``, ``create_app``) imports FastAPI.

    app.py          the app: /v1 endpoints, health, metrics, page; app_for(run) loads a run
    batching.py     MicroBatcher: concurrent requests' texts in one forward pass
    pool.py         BoundedPool: the thread for explanations and gate views
    limits.py       Limits and the refusals past them (413, 422, 503, 504)
    errors.py       every refusal as {"error": one line}; the JSON-body check
    schemas.py      request and response bodies (OpenAPI at /docs)
    model_card.py   GET /v1/model
    inspection.py   POST /v1/inspect's gates and states
    metrics.py      prometheus-client metrics and the middleware that counts requests
    page.py         the page at / and its files in static/
    server.py       uvicorn, one process or --workers N
"""
