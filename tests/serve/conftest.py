"""A tiny trained run to serve (a GRU on synthetic reviews, ~1 s to train) and clients for it.

The tests need the ``serve`` extra (FastAPI, uvicorn, prometheus-client), which the test extra
installs; each module skips as a whole without it (``needs_serve``; a failure under CI=true).
"""

from __future__ import annotations

import warnings

import pytest
from workflow.conftest import write_recipe


def needs_serve() -> None:
    """Skip the calling module unless the serve extra is installed."""
    for name in ("fastapi", "uvicorn", "prometheus_client", "httpx"):
        pytest.importorskip(name)

#: words of the tiny run's vocabulary (tests/workflow/conftest.py), in a real review's order
REVIEW = "a wonderful and moving film, the actors were superb but the plot was a bit dull"


@pytest.fixture(scope="session")
def served_run(tmp_path_factory):
    """A finished binary run (Negative / Positive), trained through the CLI."""
    from rnnkit.cli import main
    from rnnkit.layers import clear_session
    # made before the first test's own fresh names (a session fixture comes first): without
    # this its layers are named after whatever the previous test left (gru_3, sequential_1)
    clear_session()
    tmp = tmp_path_factory.mktemp("served")
    assert main(["train", str(write_recipe(tmp)), "--runs-dir", str(tmp / "runs"),
                 "--quiet"]) == 0
    (run,) = (tmp / "runs").iterdir()
    return run


@pytest.fixture(scope="session")
def classifier(served_run):
    from rnnkit import load_classifier
    return load_classifier(served_run)


def client_of(app):
    """FastAPI's test client; use it in a ``with`` block so the batcher starts and stops."""
    with warnings.catch_warnings():
        # Starlette asks for httpx2 in its test client; FastAPI's own docs still use httpx.
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app)


@pytest.fixture
def client(served_run):
    from rnnkit.serve.app import app_for
    with client_of(app_for(served_run)) as c:
        yield c
