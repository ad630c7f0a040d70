"""Fixtures the engine tests share."""

import pytest

from rnnkit import kernels


@pytest.fixture
def compiled_on():
    """The compiled loops switched on for one test (the switch is global), then restored."""
    saved = kernels.enabled()
    kernels.set_enabled(True)
    yield
    kernels.set_enabled(saved)
