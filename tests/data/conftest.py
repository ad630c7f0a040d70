"""Shared set-up for the data tests.

Unit tests run offline (RNNKIT_OFFLINE=1, a private RNNKIT_DATA): nothing is ever downloaded, and
only data the tests make themselves is read. Integration tests read ../shared/data (or whatever
RNNKIT_DATA names) and skip, saying which file is missing, when it is absent.
"""

from __future__ import annotations

import os

import pytest
from data_paths import SHARED_DATA

# Keras is the oracle; it must run on its torch backend and be configured before its first import.
# Forced, not defaulted (tests/conftest.py does the same, and refuses a keras already imported on
# another backend): a KERAS_BACKEND=tensorflow left in the shell must not turn the oracles into skips.
os.environ["KERAS_BACKEND"] = "torch"


@pytest.fixture(autouse=True)
def _offline(request, monkeypatch, tmp_path_factory):
    """Keep unit tests hermetic: no downloads, and an empty cache unless a test sets its own."""
    monkeypatch.setenv("RNNKIT_OFFLINE", "1")
    if request.node.get_closest_marker("integration") is None:
        monkeypatch.setenv("RNNKIT_DATA", str(tmp_path_factory.mktemp("rnnkit-cache")))
    else:
        monkeypatch.setenv("RNNKIT_DATA", str(SHARED_DATA))

