"""The NumPy engine's hand-written backward pass gives the same attributions as torch autograd
over the torch engine's modules: float32, 1e-5, for every cell, masks, wrappers and stacks."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnkit import layers as L
from rnnkit.insight import METHODS, ModelInput, class_score, explain

from ._models import BODIES, model_of, onehot_encoding, tokenizer_encoding

TOL = 1e-5
#: a short text (pre-padded), a long one (cut by maxlen) and one with a word outside num_words
TEXTS = ["w1 w2 w3 w4", "w5 w2 w9 w9 w11 w3 w7 w8 w1 w2 w4 w6", "w3 w27 w8 w1 w28 w5"]


def _targets(model) -> list[int]:
    units = model.layers[-1].units
    return [0, 1] if units == 1 else list(range(units))


def _assert_same(a, b):
    np.testing.assert_allclose(
        np.array(a.attributions, dtype=float), np.array(b.attributions, dtype=float), atol=TOL)
    assert a.probability == pytest.approx(b.probability, abs=TOL)
    assert a.baseline_probability == pytest.approx(b.baseline_probability, abs=TOL)


@pytest.mark.parametrize("mask_zero", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("name", BODIES)
def test_attributions_numpy_equal_torch(name, mask_zero):
    model, encoder = model_of(BODIES[name](), mask_zero=mask_zero), tokenizer_encoding()
    for text in TEXTS:
        for method in METHODS:
            for target in _targets(model):
                _assert_same(explain(model, encoder, text, method, target, engine="numpy"),
                             explain(model, encoder, text, method, target, engine="torch"))


@pytest.mark.parametrize("mask_zero", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("name", BODIES)
def test_class_gradient_numpy_equal_torch_autograd(name, mask_zero):
    """∂f_c/∂v at random vectors (not only on the path an explanation takes), every class."""
    model = model_of(BODIES[name](), mask_zero=mask_zero)
    model_input = ModelInput.of(model)
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 20, (4, 9))
    ids[0, :3] = 0                                            # pre-padding
    ids[1, :8] = 0                                            # one real step
    v = rng.normal(size=(4, 9, 6)).astype("float32")
    mask = model_input.embedding.compute_mask(ids, None)
    for target in _targets(model):
        f_np, g_np = class_score(model_input, target, "numpy").gradient(v, mask)
        f_t, g_t = class_score(model_input, target, "torch").gradient(v, mask)
        np.testing.assert_allclose(f_np, f_t, atol=TOL)
        np.testing.assert_allclose(g_np, g_t, atol=TOL)
        assert np.abs(g_np).max() > 1e-3                     # a gradient worth comparing


def _onehot_model(rnn):
    return model_of([rnn, L.Dense(1, activation="sigmoid")], input_dim=None, features=20)


@pytest.mark.parametrize("method", METHODS)
def test_onehot_rows_numpy_equal_torch(method):
    model, encoder = _onehot_model(L.SimpleRNN(6)), onehot_encoding()
    for text in TEXTS:
        _assert_same(explain(model, encoder, text, method, engine="numpy"),
                     explain(model, encoder, text, method, engine="torch"))


def test_truncated_bptt_layers_are_explained_with_the_full_gradient():
    """scratch-rnn trains with bptt_truncate = 10; its explanation differentiates the function
    itself, as torch's inference pass does, not the truncated training surrogate."""
    model, encoder = _onehot_model(L.SimpleRNN(6, bptt_truncate=2)), onehot_encoding()
    text = TEXTS[1]
    ours = explain(model, encoder, text, engine="numpy")
    _assert_same(ours, explain(model, encoder, text, engine="torch"))
    rnn, dense = model.layers
    x = encoder.encode([text])
    y, cache = rnn.forward_train(x, training=False)
    d = dense.backward(np.ones((1, 1), "float32"), dense.forward_train(y, training=False)[1])[0]
    truncated = rnn.backward(d, cache)[0]
    _, full = class_score(ModelInput.of(model), 1, "torch").gradient(x, None)
    assert np.abs(truncated - full).max() > 1e-3              # truncation would have been wrong
