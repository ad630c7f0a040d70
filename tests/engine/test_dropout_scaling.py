"""Inverted dropout's scale: kept entries are multiplied by 1/(1 − rate), dropped ones are 0.

Gradient checks cannot see a missing 1/(1 − rate): forward and backward use the same mask, so an
unscaled mask is differentiated just as correctly. These tests look at the values themselves,
for ``Dropout`` and for the input and recurrent masks of SimpleRNN, LSTM and GRU (Keras: one
mask per sequence, reused at every step, one recurrent mask per gate block).
"""

import numpy as np
import pytest

from rnnkit import layers

P = 0.3
SCALE = 1.0 / (1.0 - P)          # 1/0.7 = 1.428571…


def assert_inverted_dropout(ratio, what):
    """``ratio`` = output / input entrywise: each must be 0 or 1/(1 − P), about P of them 0."""
    dropped = ratio == 0.0
    np.testing.assert_allclose(ratio[~dropped], SCALE, rtol=1e-12,
                               err_msg=f"{what}: kept entries must be scaled by 1/(1 − {P})")
    assert abs(dropped.mean() - P) < 0.05, f"{what}: dropped {dropped.mean():.3f}, expected ≈ {P}"


# ---- Dropout ------------------------------------------------------------------------------------
def test_dropout_scales_kept_entries_and_preserves_the_mean():
    x = np.random.default_rng(0).uniform(1.0, 2.0, (400, 500))
    layer = layers.Dropout(P, dtype="float64", seed=1)
    y, cache = layer.forward_train(x, training=True)
    assert_inverted_dropout(y / x, "Dropout")
    assert y.mean() == pytest.approx(x.mean(), rel=0.01), \
        "inverted dropout keeps the mean: E[y] = (1 − p)·x/(1 − p) = x"
    np.testing.assert_allclose(layer.backward(np.ones_like(x), cache)[0], y / x, rtol=1e-12,
                               err_msg="backward must apply the same scaled mask")
    np.testing.assert_array_equal(layer(x, training=False), x, err_msg="inference: identity")


# ---- recurrent layers: a SimpleRNN that passes its input straight through --------------------
def identity_rnn(units, recurrent, **kwargs):
    """Linear SimpleRNN with W = I, U = ``recurrent`` and no bias: h_t = x̃_t + h̃_{t−1}·U."""
    layer = layers.SimpleRNN(units, activation="linear", use_bias=False, return_sequences=True,
                             dtype="float64", seed=2, **kwargs)
    layer.ensure_built((None, None, units))
    layer.set_weights([np.eye(units), recurrent])
    return layer


def test_recurrent_layer_input_dropout_is_scaled_and_fixed_over_time():
    units, time = 50, 4
    x = np.random.default_rng(0).uniform(1.0, 2.0, (200, time, units))
    y = identity_rnn(units, np.zeros((units, units)), dropout=P)(x, training=True)  # h_t = x̃_t
    ratio = y / x
    assert_inverted_dropout(ratio, "input dropout")
    for t in range(1, time):
        np.testing.assert_allclose(ratio[:, t], ratio[:, 0], rtol=1e-12,
                                   err_msg="Keras draws one input mask per sequence")


def test_recurrent_dropout_is_scaled_and_fixed_over_time():
    """x₀ = a, later inputs 0, U = I: h₀ = a, h₁ = a ⊙ m, h₂ = a ⊙ m², so h₁/h₀ = m."""
    units, time = 50, 3
    x = np.zeros((200, time, units))
    x[:, 0] = np.random.default_rng(0).uniform(1.0, 2.0, (200, units))
    y = identity_rnn(units, np.eye(units), recurrent_dropout=P)(x, training=True)
    mask = y[:, 1] / y[:, 0]
    assert_inverted_dropout(mask, "recurrent dropout")
    np.testing.assert_allclose(y[:, 2], y[:, 0] * mask ** 2, rtol=1e-12,
                               err_msg="Keras reuses the recurrent mask at every step")


# ---- LSTM and GRU: the masks folded into x and into U reproduce the training-mode output ------------
CELLS = {
    "simple_rnn": lambda **kw: layers.SimpleRNN(8, **kw),
    "lstm": lambda **kw: layers.LSTM(8, **kw),
    "gru": lambda **kw: layers.GRU(8, **kw),
    "gru_reset_before": lambda **kw: layers.GRU(8, reset_after=False, **kw),
}


@pytest.mark.parametrize("kind", CELLS)
def test_masks_equal_keras_inverted_dropout_folded_into_the_weights(kind):
    """For one sequence, (x ⊙ m_x)·W = x·(diag(m_x) W) and (h ⊙ m_g)·U_g = h·(diag(m_g) U_g): the
    training-mode output equals the inference output of a copy whose kernels carry the masks.

    The masks are replayed from the layer's generator in the order it draws them (input mask
    (batch, features), then recurrent masks (gates, batch, units)) and scaled here, by Keras's
    definition keep/(1 − rate) — not by the code under test.
    """
    rng_x = np.random.default_rng(3)
    x = rng_x.standard_normal((1, 6, 5))
    layer = CELLS[kind](dropout=P, recurrent_dropout=P, return_sequences=True, dtype="float64")
    layer.ensure_built((None, 6, 5))
    layer.rng = np.random.default_rng(11)
    trained = layer.forward(x, training=True)

    replay = np.random.default_rng(11)
    m_x = (replay.random((1, 5)) >= P) / (1.0 - P)
    gates = layer.get_weights()[1].shape[1] // 8                  # U is (units, gates·units)
    m_h = (replay.random((gates, 1, 8)) >= P) / (1.0 - P)
    assert 0 < (m_h == 0).sum() < m_h.size and 0 < (m_x == 0).sum() < m_x.size  # both kinds
    kernel, recurrent, *rest = layer.get_weights()
    folded = [kernel * m_x[0][:, None],
              np.concatenate([recurrent[:, g * 8:(g + 1) * 8] * m_h[g, 0][:, None]
                              for g in range(gates)], axis=1)] + rest
    copy = CELLS[kind](return_sequences=True, dtype="float64")
    copy.ensure_built((None, 6, 5))
    copy.set_weights(folded)
    np.testing.assert_allclose(trained, copy.forward(x), rtol=1e-12, atol=1e-14,
                               err_msg=f"{kind}: training-mode output is not that of the masks "
                                       f"keep/(1 − {P}) applied to x and to h per gate")
