"""Gradients through a graph: branches and merges, a shared layer, a tensor read twice, masks.

The backward walk (functional/walk.py) sums the gradients a tensor receives from each reader
and a shared layer's weight gradients over its calls. Checked three ways: float64 central
differences, real Keras's autograd on the same graph and weights, and the torch engine.
"""

import numpy as np
import pytest

import rnnkit
from rnnkit.gradcheck import GraphRun, check_gradients

from .functional_layers import TinyConcat

T, F, U = 5, 3, 3


def float_dag(lib, merge, dtype=None):
    """A float input read by two recurrent branches; a Dense shared by both; the LSTM branch's
    output read twice (the Dense and the merge)."""
    L, kw = lib.layers, ({"dtype": dtype} if dtype else {})
    inputs = lib.Input(shape=(T, F))
    a = L.LSTM(U, return_sequences=True, **kw)(inputs)
    b = L.GRU(U, return_sequences=True, **kw)(inputs)
    shared = L.Dense(U, activation="tanh", **kw)
    m = merge(**kw)([shared(a), shared(b), a])
    return lib.Model(inputs, L.Dense(2, **kw)(L.LSTM(U, **kw)(m)))


def masked_dag(lib, merge=None, dtype=None):
    """Embedding(mask_zero) feeding an LSTM and a GRU, merged (masks combined), then a shared
    LSTM applied to the merge and to the GRU branch, added, then Dense(sigmoid)."""
    L, kw = lib.layers, ({"dtype": dtype} if dtype else {})
    inputs = lib.Input(shape=(T,), dtype="int32")
    e = L.Embedding(20, F, mask_zero=True, **kw)(inputs)
    a = L.LSTM(U, return_sequences=True, **kw)(e)
    b = L.GRU(U, return_sequences=True, **kw)(e)
    m = (merge or L.Average)(**kw)([a, b])
    shared = L.SimpleRNN(U, **kw)
    s = L.Add(**kw)([shared(m), shared(b)])
    return lib.Model(inputs, L.Dense(1, activation="sigmoid", **kw)(s))


def ids(seed=3, n=4):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 20, (n, T))
    x[0, :2] = 0
    x[1, -2:] = 0
    return x


def floats(seed=4, n=3):
    return np.random.default_rng(seed).standard_normal((n, T, F))


def numpy_pass(model, x, dy):
    """(output, weight gradients in the model's weights order) from the NumPy walk."""
    run = GraphRun(model.graph)
    y, caches = run.forward_train(x)
    _, grads = run.backward(dy, caches)
    by_layer = dict(zip(map(id, run.layers), grads))
    return y, [g for layer in model.layers for g in by_layer.get(id(layer), [])]


# ---- float64 central differences ------------------------------------------------------------------
@pytest.mark.parametrize("merge", [TinyConcat, rnnkit.layers.Concatenate])
def test_float_dag_gradients(merge):
    errors = check_gradients(float_dag(rnnkit, merge, dtype="float64"), floats())
    assert "input" in errors and len(errors) == 1 + 3 + 3 + 2 + 3 + 2
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("merge", [None, rnnkit.layers.Multiply])
def test_masked_dag_gradients(merge):
    errors = check_gradients(masked_dag(rnnkit, merge, dtype="float64"), ids())
    assert max(errors.values()) < 1e-6, errors


# ---- the Keras oracle ---------------------------------------------------------------------------
def _keras_pass(keras, model, x, dy):
    import torch

    y = model(torch.tensor(x))
    (y * torch.tensor(dy)).sum().backward()
    return y.detach().numpy(), [v.value.grad.numpy() for v in model.trainable_weights]


@pytest.mark.oracle
@pytest.mark.parametrize("build", ["float", "masked"])
def test_outputs_and_gradients_equal_keras(keras, build):
    if build == "float":
        ours, theirs = float_dag(rnnkit, rnnkit.layers.Concatenate), \
            float_dag(keras, keras.layers.Concatenate)
        x = floats().astype(np.float32)
    else:
        ours, theirs = masked_dag(rnnkit), masked_dag(keras)
        x = ids()
    rng = np.random.default_rng(0)
    theirs.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32)
                        for w in ours.get_weights()])
    ours.set_weights(theirs.get_weights())
    dy = rng.standard_normal((len(x),) + ours.output_shape[1:]).astype(np.float32)
    y, grads = numpy_pass(ours, x, dy)
    k_y, k_grads = _keras_pass(keras, theirs, x, dy)
    np.testing.assert_allclose(y, k_y, atol=1e-5)
    assert len(grads) == len(k_grads)
    for g, k in zip(grads, k_grads, strict=True):
        np.testing.assert_allclose(g, k, atol=1e-5)


# ---- the torch engine --------------------------------------------------------------------------
@pytest.mark.parametrize("build", ["float", "masked", "tiny"])
def test_torch_network_equals_numpy(build):
    torch = pytest.importorskip("torch")
    from rnnkit.engines.torch_engine import TorchNetwork

    if build == "masked":
        model, x = masked_dag(rnnkit), ids()
    else:
        model = float_dag(rnnkit, TinyConcat if build == "tiny" else rnnkit.layers.Concatenate)
        x = floats().astype(np.float32)
    dy = np.random.default_rng(1).standard_normal((len(x),) + model.output_shape[1:]) \
        .astype(np.float32)
    y, grads = numpy_pass(model, x, dy)
    net = TorchNetwork(model.graph)             # on the CPU its parameters are the arrays
    out = net(torch.tensor(x))
    (out * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), y, atol=1e-5)
    by_layer = dict(zip(map(id, net.descriptions), net.keras_grads()))
    t_grads = [g for layer in model.layers for g in by_layer.get(id(layer), [])]
    for g, t in zip(grads, t_grads, strict=True):
        np.testing.assert_allclose(g, t, atol=1e-5)
