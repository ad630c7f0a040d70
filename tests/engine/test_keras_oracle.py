"""Forward outputs and gradients equal real Keras 3 (torch backend) for the same random weights.

Random weights and random biases — never constant ones, which make every unit identical and
cannot tell a gate swap from the right order.
"""

import numpy as np
import pytest

from rnnkit import layers

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
if keras.backend.backend() != "torch":
    pytest.skip("the oracle runs Keras on its torch backend", allow_module_level=True)

pytestmark = pytest.mark.oracle
B, T, F, U = 4, 7, 5, 6
ATOL = RTOL = 1e-5


def randomize(layer, seed=0):
    """Random weights of the layer's shapes, biases included; returns the list."""
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in layer.params()]
    layer.set_weights(weights)
    return weights


def masks():
    pre = np.ones((B, T), bool)
    pre[0, :3] = False
    pre[2, :1] = False
    post = np.ones((B, T), bool)
    post[1, -2:] = False
    post[3, -4:] = False
    return {"none": None, "pre": pre, "post": post}


def keras_run(k_layer, x, mask, dy):
    """Output, input gradient and weight gradients of a Keras layer for L = Σ dy ⊙ y."""
    x_t = torch.tensor(x, requires_grad=True)
    kwargs = {} if mask is None else {"mask": torch.tensor(mask)}
    y = k_layer(x_t, **kwargs)
    outs = y if isinstance(y, (list, tuple)) else [y]
    dys = dy if isinstance(dy, (list, tuple)) else [dy]
    loss = sum((o * torch.tensor(d)).sum() for o, d in zip(outs, dys, strict=True))
    loss.backward()
    grads = [v.value.grad.numpy() for v in k_layer.trainable_weights]
    return [o.detach().numpy() for o in outs], x_t.grad.numpy(), grads


def compare(ours, k_layer, x, mask=None):
    ours.ensure_built((None,) + x.shape[1:])
    weights = randomize(ours)
    k_layer.build((None,) + x.shape[1:])
    assert [w.shape for w in k_layer.get_weights()] == [w.shape for w in weights]
    k_layer.set_weights(weights)

    y, cache = ours.forward_train(x, training=False, mask=mask)
    outs = y if isinstance(y, list) else [y]
    rng = np.random.default_rng(1)
    dys = [rng.standard_normal(o.shape).astype(np.float32) for o in outs]
    dx, grads = ours.backward(dys if isinstance(y, list) else dys[0], cache)

    k_outs, k_dx, k_grads = keras_run(k_layer, x, mask, dys if isinstance(y, list) else dys[0])
    inference = ours.forward(x, mask=mask)      # the inference loops, no cache
    for o, o_inf, k in zip(outs, inference if isinstance(y, list) else [inference], k_outs,
                           strict=True):
        np.testing.assert_allclose(o, k, atol=ATOL, rtol=RTOL)
        np.testing.assert_allclose(o_inf, k, atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(dx, k_dx, atol=ATOL, rtol=RTOL)
    # zip would stop at the shorter list: a gradient left out would go unchecked
    assert len(grads) == len(ours.weight_names) == len(k_grads), \
        f"{ours.name}: {len(grads)} gradients for weights {ours.weight_names}, " \
        f"Keras has {len(k_grads)}"
    for name, g, k in zip(ours.weight_names, grads, k_grads, strict=True):
        np.testing.assert_allclose(g, k, atol=ATOL, rtol=RTOL, err_msg=name)


def pair(kind, **kw):
    """The same layer in rnnkit and in Keras."""
    if kind == "gru_reset_before":
        kind, kw = "gru", {**kw, "reset_after": False}
    ours = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[kind]
    theirs = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
              "gru": keras.layers.GRU}[kind]
    return ours(U, **kw), theirs(U, **kw)


KINDS = ["simple_rnn", "lstm", "gru", "gru_reset_before"]


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((B, T, F)).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask", ["none", "pre", "post"])
def test_recurrent_layer_equals_keras(kind, return_sequences, go_backwards, mask, x):
    ours, theirs = pair(kind, return_sequences=return_sequences, go_backwards=go_backwards)
    compare(ours, theirs, x, masks()[mask])


@pytest.mark.parametrize("kind", KINDS)
def test_return_state_equals_keras(kind, x):
    ours, theirs = pair(kind, return_sequences=True, return_state=True)
    compare(ours, theirs, x, masks()["pre"])


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_equals_keras(merge_mode, return_sequences, kind, x):
    inner, k_inner = pair(kind, return_sequences=return_sequences)
    compare(layers.Bidirectional(inner, merge_mode=merge_mode),
            keras.layers.Bidirectional(k_inner, merge_mode=merge_mode), x, masks()["post"])


def test_stacked_masked_model_equals_keras():
    """Embedding(mask_zero) → LSTM(seq) → Bidirectional(GRU(seq)) → SimpleRNN → Dense(sigmoid)."""
    rng = np.random.default_rng(2)
    ids = rng.integers(1, 30, (B, T))
    ids[0, :3] = 0
    ids[1, -2:] = 0
    ours = [layers.Embedding(30, F, mask_zero=True), layers.LSTM(U, return_sequences=True),
            layers.Bidirectional(layers.GRU(U, return_sequences=True)), layers.SimpleRNN(U),
            layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential([keras.Input((T,), dtype="int32"),
                              keras.layers.Embedding(30, F, mask_zero=True),
                              keras.layers.LSTM(U, return_sequences=True),
                              keras.layers.Bidirectional(keras.layers.GRU(U, return_sequences=True)),
                              keras.layers.SimpleRNN(U), keras.layers.Dense(1, activation="sigmoid")])
    x, mask, caches = ids, None, []
    for i, layer in enumerate(ours):
        layer.ensure_built((None,) + np.shape(x)[1:])
        model.layers[i].set_weights(randomize(layer, seed=i))
        (y, cache), mask = layer.forward_train(x, training=False, mask=mask), \
            layer.compute_mask(x, mask)
        x = y
        caches.append(cache)
    dy = rng.standard_normal(x.shape).astype(np.float32)
    d, layer_grads = dy, [None] * len(ours)
    for i in reversed(range(len(ours))):
        d, layer_grads[i] = ours[i].backward(d, caches[i])

    y = model(torch.tensor(ids))
    (y * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(x, y.detach().numpy(), atol=ATOL, rtol=RTOL)
    k_grads = [v.value.grad.numpy() for v in model.trainable_weights]
    our_grads = [g for grads in layer_grads for g in grads]
    assert len(k_grads) == len(our_grads), f"{len(our_grads)} gradients, Keras has {len(k_grads)}"
    for g, k in zip(our_grads, k_grads, strict=True):
        np.testing.assert_allclose(g, k, atol=ATOL, rtol=RTOL)


def test_dense_softmax_on_sequences_equals_keras(x):
    compare(layers.Dense(4, activation="softmax"), keras.layers.Dense(4, activation="softmax"), x)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_mask_after_go_backwards_equals_keras(return_sequences):
    """Keras passes the mask on unreversed after a go_backwards layer; so must we."""
    rng = np.random.default_rng(3)
    ids = rng.integers(1, 20, (B, T))
    ids[0, :3] = 0
    ids[1, -2:] = 0
    ours = [layers.Embedding(20, F, mask_zero=True),
            layers.SimpleRNN(U, go_backwards=True, return_sequences=True),
            layers.GRU(U, return_sequences=return_sequences)]
    model = keras.Sequential([keras.Input((T,), dtype="int32"),
                              keras.layers.Embedding(20, F, mask_zero=True),
                              keras.layers.SimpleRNN(U, go_backwards=True, return_sequences=True),
                              keras.layers.GRU(U, return_sequences=return_sequences)])
    x, mask = ids, None
    for i, layer in enumerate(ours):
        layer.ensure_built((None,) + np.shape(x)[1:])
        model.layers[i].set_weights(randomize(layer, seed=i))
        x, mask = layer.forward(x, mask=mask), layer.compute_mask(x, mask)
    np.testing.assert_allclose(x, model(torch.tensor(ids)).detach().numpy(), atol=ATOL, rtol=RTOL)
