"""The server's Prometheus metrics, kept and written by prometheus-client.

Requests are counted and timed by endpoint — the route's path template (``/v1/predict``), never
the raw path, so a scan of made-up URLs cannot grow the label set (unmatched paths are
``other``) — with method and status. The batcher reports texts classified, the size of each
forward pass and the texts waiting. Under ``rnnkit serve --workers N`` each worker is its own
process: prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by the
command) adds up all of them in every scrape.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: request latency buckets (seconds): 1 ms to 10 s, finest where a warm prediction lands
LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """One server's metrics in their own registry (so several apps in one process — tests —
    never share counts)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        labels = ("endpoint", "method", "status")
        self.requests = Counter("rnnkit_http_requests", "HTTP requests answered", labels,
                                registry=self.registry)
        self.latency = Histogram("rnnkit_http_request_duration_seconds",
                                 "time from a request's arrival to its answer", labels,
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.texts = Counter("rnnkit_texts_classified", "texts classified by /v1/predict",
                             registry=self.registry)
        self.batch_texts = Histogram("rnnkit_batch_texts", "texts per forward pass of the "
                                     "batcher", buckets=BATCH_BUCKETS, registry=self.registry)
        self.queue_texts = Gauge("rnnkit_queue_texts", "texts waiting for a forward pass",
                                 registry=self.registry, multiprocess_mode="livesum")

    def batch_done(self, texts: int) -> None:
        self.texts.inc(texts)
        self.batch_texts.observe(texts)

    def queue_changed(self, texts: int) -> None:
        self.queue_texts.inc(texts)

    def exposition(self) -> bytes:
        """The text format, from every worker process when there are several."""
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware: counts and times every HTTP request by its route's path template."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500      # 500 unless a response starts

        async def sent(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = scope.get("route")              # set by the router once a route matched
            labels = (getattr(route, "path", None) or "other", scope["method"], str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - start)
