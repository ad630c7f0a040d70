"""Float64 gradient checks of the text layers (max relative error < 1e-6), inputs and weights,
with random weights and every mask kind; also inside a recurrent stack."""

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.gradcheck import check_gradients, numerical_gradient, relative_error

from ._text_layer_cases import (
    CASES,
    MASKING,
    F,
    T,
    inputs,
    masking_input,
    masks,
    randomize,
)

TOL = 1e-6


def built(case, table=CASES):
    layer = table[case](layers, dtype="float64")
    layer.ensure_built((None, T, F))
    randomize(layer)
    return layer


def assert_close(errors):
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}\n{errors}"


@pytest.mark.parametrize("mask", ["none", "pre", "both"])
@pytest.mark.parametrize("case", CASES)
def test_text_layer_gradients(case, mask):
    errors = check_gradients(built(case), inputs("float64"), mask=masks()[mask])
    assert "input" in errors
    assert_close(errors)


def test_layer_norm_over_time_alone():
    """axis=1 of (B, T, F): the forward by hand, the backward by the gradient check. (Keras 3's
    torch backend cannot run this one: it hands torch's layer_norm a non-trailing axis.)"""
    layer = layers.LayerNormalization(axis=1, dtype="float64")
    layer.ensure_built((None, T, F))
    gamma, beta = randomize(layer)
    x = inputs("float64")
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    expected = (x - mu) / np.sqrt(var + 1e-3) * gamma[None, :, None] + beta[None, :, None]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12)
    assert_close(check_gradients(layer, x, mask=masks()["pre"]))


def test_spatial_dropout_in_training():
    assert_close(check_gradients(built("spatial_dropout"), inputs("float64"), training=True))


def test_global_average_gradient_skips_padding():
    """The mean over real steps gives padded steps no gradient, real ones 1/(real steps)."""
    layer = built("global_average")
    mask = masks()["pre"]
    y, cache = layer.forward_train(inputs("float64"), training=False, mask=mask)
    dx, _ = layer.backward(np.ones_like(y), cache)
    expected = mask[:, :, None] / mask.sum(axis=1)[:, None, None]
    np.testing.assert_allclose(dx, np.broadcast_to(expected, dx.shape), rtol=1e-15)


@pytest.mark.parametrize("case", MASKING)
def test_masking_gradients(case):
    """Masking is not differentiable at a padded step (a nudge there unmasks it): the input
    gradient is checked on real steps and must be exactly zero on padded ones."""
    layer = built(case, MASKING)
    x, real = masking_input(case, "float64")
    y, cache = layer.forward_train(x, training=False)
    r = np.random.default_rng(3).standard_normal(y.shape)
    dx, grads = layer.backward(r, cache)
    assert grads == []
    numeric = numerical_gradient(lambda: float(np.sum(r * layer.forward(x))), x)
    assert relative_error(dx[real], numeric[real]) < TOL
    assert np.all(dx[~real] == 0.0)


@pytest.mark.parametrize("pooling", ["GlobalMaxPooling1D", "GlobalAveragePooling1D"])
def test_embedding_to_bidirectional_gru_to_pooling_stack(pooling):
    """Embedding(mask_zero) → Bidirectional(GRU, return_sequences) → pooling → Dense."""
    ids = np.random.default_rng(4).integers(1, 20, (3, 6))
    ids[0, :2] = 0
    ids[2, -3:] = 0
    stack = [layers.Embedding(20, 4, mask_zero=True, dtype="float64"),
             layers.Bidirectional(layers.GRU(3, return_sequences=True, dtype="float64"),
                                  dtype="float64"),
             getattr(layers, pooling)(dtype="float64"),
             layers.Dense(2, activation="softmax", dtype="float64")]
    shape = (None, 6)
    for i, layer in enumerate(stack):
        layer.ensure_built(shape)
        randomize(layer, seed=i)
        shape = layer.compute_output_shape(shape)
    assert_close(check_gradients(stack, ids))


def test_conv_stack_with_layer_norm_pooling_and_lstm_in_training():
    """Conv1D(causal) → LayerNormalization → SpatialDropout1D → MaxPooling1D → LSTM(seq) →
    Flatten → Activation, dropout on."""
    x = inputs("float64")
    stack = [layers.Conv1D(4, 2, padding="causal", activation="tanh", dtype="float64"),
             layers.LayerNormalization(dtype="float64"),
             layers.SpatialDropout1D(0.3, dtype="float64"),
             layers.MaxPooling1D(2, padding="same", dtype="float64"),
             layers.LSTM(3, return_sequences=True, dtype="float64"),
             layers.Flatten(dtype="float64"),
             layers.Activation("sigmoid", dtype="float64")]
    shape = (None, T, F)
    for i, layer in enumerate(stack):
        layer.ensure_built(shape)
        randomize(layer, seed=i)
        shape = layer.compute_output_shape(shape)
    assert_close(check_gradients(stack, x, training=True))


@pytest.mark.parametrize("case", [*CASES, *MASKING])
def test_inference_writes_nothing_on_the_layer(case):
    """forward (and forward_train's caches) leave the layer as it was: pure inference."""
    layer = built(case, {**CASES, **MASKING})
    before = dict(vars(layer))
    weights = [w.copy() for w in layer.params()]
    state = layer.rng.bit_generator.state
    layer.forward(inputs("float64"), mask=masks()["pre"])
    layer.forward_train(inputs("float64"), training=False, mask=masks()["both"])
    assert vars(layer).keys() == before.keys()
    assert all(vars(layer)[k] is v for k, v in before.items() if k != "rng")
    assert all(np.array_equal(a, b) for a, b in zip(layer.params(), weights, strict=True))
    assert layer.rng.bit_generator.state == state
