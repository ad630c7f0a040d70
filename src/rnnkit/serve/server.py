"""``rnnkit serve``: uvicorn running the app of one run, in one process or ``--workers N``.

The run is loaded before the port is bound, so a wrong path fails at once in one line. With
several workers uvicorn starts N processes that each import the app through
``app_from_environment`` (the run and limits travel in ``RNNKIT_SERVE``), and their Prometheus
metrics are pooled in a temporary ``PROMETHEUS_MULTIPROC_DIR``. Ctrl-C (SIGINT) or SIGTERM:
uvicorn stops taking connections, finishes the requests in flight, then the app stops its
batcher; the command returns 0.

The model runs on one thread here (``rnnkit.parallel``; RNNKIT_THREADS overrides): a server
already keeps a second core busy with HTTP, and the engine's second thread competing for it
cost 40% more CPU a request and 40% of the texts/s on 64-text passes (docs/serving.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from .limits import Limits

ENVIRONMENT = "RNNKIT_SERVE"
#: the most connections uvicorn holds at once; beyond it it answers 503 itself
MAX_CONNECTIONS = 2048


def serve(source: Path, host: str, port: int, workers: int, limits: Limits,
          access_log: bool = True) -> None:
    import uvicorn

    from .app import app_for
    one_engine_thread()
    app = app_for(source, limits)          # a bad run or model file fails here, before binding
    options = {"host": host, "port": port, "access_log": access_log,
               "limit_concurrency": MAX_CONNECTIONS, "timeout_graceful_shutdown": 30}
    if workers == 1:
        uvicorn.run(app, **options)
        return
    del app
    os.environ[ENVIRONMENT] = json.dumps({"source": str(source.resolve()),
                                          "limits": asdict(limits)})
    with tempfile.TemporaryDirectory(prefix="rnnkit-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run(f"{__name__}:app_from_environment", factory=True, workers=workers,
                    **options)


def one_engine_thread() -> None:
    if "RNNKIT_THREADS" not in os.environ:
        from .. import parallel
        parallel.set_threads(1)


def app_from_environment():
    """The app a worker process serves (uvicorn's factory under ``--workers``)."""
    from .app import app_for
    one_engine_thread()
    settings = json.loads(os.environ[ENVIRONMENT])
    return app_for(Path(settings["source"]), Limits(**settings["limits"]))
