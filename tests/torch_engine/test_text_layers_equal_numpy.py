"""The text layers on the torch engine equal the NumPy engine: outputs, input gradients, weight
gradients (Keras layout) and masks, in float32 (1e-5) and float64 (1e-9); dropout from the same
generator state; and whole models with recurrent layers train the same on both engines."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine._text_layer_cases import (
    CASES,
    MASKING,
    F,
    T,
    inputs,
    masking_input,
    masks,
    randomize,
)

import rnnkit
from rnnkit import layers as L
from rnnkit.engines.torch_engine import CudnnOffNotice, build_module

TOL = {"float32": 1e-5, "float64": 1e-9}
pytestmark = pytest.mark.filterwarnings(f"ignore::{CudnnOffNotice.__module__}."
                                        f"{CudnnOffNotice.__name__}")


def assert_same(layer, x, mask, training=False):
    tol = TOL[layer.dtype]
    state = layer.rng.bit_generator.state
    y, cache = layer.forward_train(x, training=training, mask=mask)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(layer.dtype)
    dx, grads = layer.backward(dy, cache)
    layer.rng.bit_generator.state = state
    module = build_module(layer)
    module.train(training)
    x_t = torch.tensor(x, requires_grad=True)
    mask_t = None if mask is None else torch.tensor(mask)
    y_t = module(x_t, mask_t)
    (y_t * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y_t.detach().numpy(), y, rtol=tol, atol=tol, err_msg="output")
    np.testing.assert_allclose(x_t.grad.numpy(), dx, rtol=tol, atol=tol, err_msg="dx")
    assert len(module.keras_grads()) == len(grads) == len(layer.weight_names)
    for name, g_t, g in zip(layer.weight_names, module.keras_grads(), grads, strict=True):
        np.testing.assert_allclose(g_t, g, rtol=tol, atol=tol, err_msg=name)
    ours, theirs = layer.compute_mask(x, mask), module.compute_mask(x_t, mask_t)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        np.testing.assert_array_equal(theirs.numpy(), ours)


def built(table, case, dtype):
    layer = table[case](L, dtype=dtype)
    layer.ensure_built((None, T, F))
    randomize(layer)
    return layer


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mask", ["none", "both"])
@pytest.mark.parametrize("case", CASES)
def test_text_layer_torch_equals_numpy(case, mask, dtype):
    assert_same(built(CASES, case, dtype), inputs(dtype), masks()[mask])


@pytest.mark.parametrize("case", MASKING)
def test_masking_torch_equals_numpy(case):
    x, _ = masking_input(case)
    assert_same(built(MASKING, case, "float32"), x, masks()["post"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_spatial_dropout_in_training_draws_the_same_masks(dtype):
    layer = built(CASES, "spatial_dropout", dtype)
    assert_same(layer, inputs(dtype), None, training=True)
    y = layer.forward(inputs(dtype), training=True)
    dropped = (y == 0).all(axis=1)                  # whole channels, every step alike
    assert dropped.any() and (y == 0).sum() == dropped.sum() * T


def _text_model(lib, pooling, engine=None):
    """Embedding(mask_zero) → SpatialDropout1D → Bidirectional(GRU, seq) → LayerNormalization →
    Conv1D(same) → pooling → Dense(sigmoid)."""
    Ls = lib.layers
    model = lib.Sequential([lib.Input((9,)), Ls.Embedding(30, 6, mask_zero=True),
                            Ls.SpatialDropout1D(0.2),
                            Ls.Bidirectional(Ls.GRU(4, return_sequences=True)),
                            Ls.LayerNormalization(), Ls.Conv1D(5, 3, padding="same",
                                                               activation="relu"),
                            getattr(Ls, pooling)(), Ls.Dense(1, activation="sigmoid")])
    options = {} if engine is None else {"engine": engine}
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"], **options)
    return model


def _token_data():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 30, (40, 9))
    x[:20, :3] = 0
    x[20:30, -2:] = 0
    return x, (x[:, 4] > 15).astype("float32")


@pytest.mark.parametrize("pooling", ["GlobalMaxPooling1D", "GlobalAveragePooling1D"])
def test_recurrent_text_model_trains_the_same_on_both_engines(pooling):
    x, y = _token_data()
    histories, weights = [], []
    for engine in ("numpy", "torch"):
        rnnkit.set_random_seed(5)
        rnnkit.layers.clear_session()
        model = _text_model(rnnkit, pooling, engine)
        histories.append(model.fit(x, y, epochs=3, batch_size=16, shuffle=False,
                                   verbose=0).history)
        weights.append(model.get_weights())
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5, err_msg=key)
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-5)


def test_flatten_and_max_pooling_model_trains_the_same_on_both_engines():
    """Masking on float sequences → Conv1D(causal) → MaxPooling1D → Flatten → Dense(softmax)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 8, 3)).astype("float32")
    x[:10, :2] = 0.0
    y = rng.integers(0, 3, 30)
    histories = []
    for engine in ("numpy", "torch"):
        rnnkit.set_random_seed(6)
        rnnkit.layers.clear_session()
        model = rnnkit.Sequential([rnnkit.Input((8, 3)), L.Masking(),
                                   L.LSTM(4, return_sequences=True),
                                   L.Conv1D(4, 2, padding="causal", dilation_rate=2),
                                   L.Activation("tanh"), L.MaxPooling1D(3, strides=2,
                                                                         padding="same"),
                                   L.Flatten(), L.Dense(3, activation="softmax")])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], engine=engine)
        histories.append(model.fit(x, y, epochs=3, batch_size=8, shuffle=False,
                                   verbose=0).history)
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5, err_msg=key)
