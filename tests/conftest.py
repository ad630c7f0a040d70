"""Test settings shared by the whole suite.

* Real Keras 3 is the oracle; it runs on its PyTorch backend (set before anything imports keras).
* Real data lives in ../shared/data; loaders find it through RNNKIT_DATA, as on a user's machine.
"""

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if _SHARED_DATA.is_dir():
    os.environ.setdefault("RNNKIT_DATA", str(_SHARED_DATA))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _deterministic():
    """Every test starts from the same seed and fresh layer names (lstm, lstm_1, …)."""
    import rnnkit
    from rnnkit.layers import clear_session

    rnnkit.set_random_seed(1234)
    clear_session()
    yield
