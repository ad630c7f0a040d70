"""Helpers for the model-API tests: the Keras oracle and twin models built in both libraries."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def keras():
    """Real Keras 3 on its torch backend (tests/conftest.py sets KERAS_BACKEND)."""
    return pytest.importorskip("keras")


def copy_weights_to_keras(rnnkit_model, keras_model) -> None:
    """Same weights in both: rnnkit's get_weights() order is Keras's."""
    keras_model.set_weights(rnnkit_model.get_weights())


def max_weight_diff(rnnkit_model, keras_model) -> float:
    return max(float(np.max(np.abs(a - np.asarray(b))))
               for a, b in zip(rnnkit_model.get_weights(), keras_model.get_weights()))


@pytest.fixture
def token_batch():
    """32 sequences of 12 token ids < 50, binary labels."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 50, (32, 12)), rng.integers(0, 2, 32)
