"""Same weights, same inputs, same dropout masks → the torch engine equals the NumPy engine.

Outputs, input gradients and weight gradients (mapped back to Keras layout) agree within 1e-5 in
float32 and 1e-9 in float64, for every layer and option of the NumPy engine. Weights and biases
are random (never constant: constant weights cannot tell a gate swap from the right order).
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnkit import activations  # noqa: E402
from rnnkit import layers as L  # noqa: E402
from rnnkit.engines.torch_engine import CudnnOffNotice, TorchNetwork, build_module  # noqa: E402

B, T, F, U = 4, 6, 5, 3
TOL = {"float32": 1e-5, "float64": 1e-9}
DTYPES = ["float32", "float64"]


# ---- helpers --------------------------------------------------------------------------------
def randomize(layer, seed=0):
    """Random weights and biases of the layer's own shapes (uniform in ±0.6)."""
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(w.dtype) for w in layer.params()])


def rngs(layer):
    """Every NumPy generator a layer draws dropout masks from."""
    if isinstance(layer, L.Bidirectional):
        return [layer.forward_layer.rng, layer.backward_layer.rng]
    return [layer.rng]


def masks():
    pre = np.ones((B, T), bool)
    pre[0, :2] = False
    pre[2, :5] = False
    post = np.ones((B, T), bool)
    post[1, -3:] = False
    post[3, -1:] = False
    mixed = pre & post
    mixed[2, :] = False              # an all-padding row
    mixed[3] = [False, True, True, True, False, False]   # padded at both ends
    holes = np.ones((B, T), bool)
    holes[0, 2] = False              # a gap inside a sequence: the scripted loop's job
    holes[1, :2] = False
    return {"none": None, "pre": pre, "post": post, "mixed": mixed, "holes": holes}


def numpy_run(layer, x, mask, dys, training):
    y, cache = layer.forward_train(x, training=training, mask=mask)
    outs = y if isinstance(y, list) else [y]
    dx, grads = layer.backward(dys if isinstance(y, list) else dys[0], cache)
    return outs, dx, grads


def torch_run(layer, x, mask, dys, training):
    module = build_module(layer)
    module.train(training)
    x_t = torch.tensor(x, requires_grad=True)
    y = module(x_t, None if mask is None else torch.tensor(mask))
    outs = y if isinstance(y, list) else [y]
    sum((o * torch.tensor(d)).sum() for o, d in zip(outs, dys)).backward()
    return [o.detach().numpy() for o in outs], x_t.grad.numpy(), module.keras_grads()


def assert_same(layer, x, mask=None, training=False):
    """Run both engines from the same generator states and compare everything."""
    tol = TOL[layer.dtype]
    states = [g.bit_generator.state for g in rngs(layer)]
    out_shapes = [o.shape for o in _as_list(layer.forward(x, training=False, mask=mask))]
    dys = [np.random.default_rng(1).standard_normal(s).astype(layer.dtype) for s in out_shapes]
    for g, s in zip(rngs(layer), states):
        g.bit_generator.state = s
    n_outs, n_dx, n_grads = numpy_run(layer, x, mask, dys, training)
    for g, s in zip(rngs(layer), states):
        g.bit_generator.state = s
    t_outs, t_dx, t_grads = torch_run(layer, x, mask, dys, training)
    for n, t in zip(n_outs, t_outs):
        np.testing.assert_allclose(t, n, rtol=tol, atol=tol, err_msg="output")
    np.testing.assert_allclose(t_dx, n_dx, rtol=tol, atol=tol, err_msg="input gradient")
    assert len(t_grads) == len(n_grads) == len(layer.weight_names)
    for name, t, n in zip(layer.weight_names, t_grads, n_grads):
        np.testing.assert_allclose(t, n, rtol=tol, atol=tol, err_msg=name)


def _as_list(y):
    return y if isinstance(y, list) else [y]


def built(layer, seed=0, features=F):
    layer.ensure_built((None, T, features))
    randomize(layer, seed)
    return layer


def data(dtype, seed=0):
    return np.random.default_rng(seed).standard_normal((B, T, F)).astype(dtype)


RECURRENT = {
    "simple_rnn": lambda **kw: L.SimpleRNN(U, **kw),
    "lstm": lambda **kw: L.LSTM(U, **kw),
    "gru": lambda **kw: L.GRU(U, **kw),
    "gru_reset_before": lambda **kw: L.GRU(U, reset_after=False, **kw),
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CudnnOffNotice)
        yield


# ---- recurrent layers --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask", ["none", "pre", "post", "mixed", "holes"])
def test_recurrent_layers(dtype, kind, return_sequences, go_backwards, mask):
    layer = built(RECURRENT[kind](return_sequences=return_sequences, go_backwards=go_backwards,
                                  dtype=dtype))
    assert_same(layer, data(dtype), masks()[mask])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("mask", ["pre", "post"])
def test_return_state(dtype, kind, mask):
    layer = built(RECURRENT[kind](return_sequences=True, return_state=True, dtype=dtype))
    assert_same(layer, data(dtype), masks()[mask])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("mask", ["none", "pre", "post"])
def test_dropout_and_recurrent_dropout_in_training(dtype, kind, mask):
    layer = built(RECURRENT[kind](dropout=0.3, recurrent_dropout=0.4, return_sequences=True,
                                  dtype=dtype, seed=7))
    assert_same(layer, data(dtype), masks()[mask], training=True)


@pytest.mark.parametrize("kind", RECURRENT)
def test_input_dropout_alone_keeps_the_fused_path(kind):
    layer = built(RECURRENT[kind](dropout=0.5, dtype="float64", seed=3))
    assert_same(layer, data("float64"), masks()["post"], training=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind,options", [
    ("simple_rnn", {"activation": "relu"}),
    ("simple_rnn", {"activation": "sigmoid"}),
    ("lstm", {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
    ("gru", {"activation": "linear", "recurrent_activation": "hard_sigmoid"}),
    ("gru_reset_before", {"activation": "relu"}),
])
def test_activations_other_than_the_defaults(dtype, kind, options):
    layer = built(RECURRENT[kind](return_sequences=True, dtype=dtype, **options))
    assert_same(layer, data(dtype), masks()["pre"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", RECURRENT)
def test_without_bias(dtype, kind):
    layer = built(RECURRENT[kind](use_bias=False, return_sequences=True, dtype=dtype))
    assert_same(layer, data(dtype), masks()["post"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_truncated_bptt(dtype, kind, return_sequences):
    layer = built(RECURRENT[kind](bptt_truncate=2, return_sequences=return_sequences,
                                  go_backwards=True, dtype=dtype))
    assert_same(layer, data(dtype), masks()["mixed"], training=True)


def test_truncated_bptt_with_state_and_dropout():
    layer = built(L.LSTM(U, bptt_truncate=3, return_sequences=True, return_state=True,
                         recurrent_dropout=0.3, dtype="float64", seed=5))
    assert_same(layer, data("float64"), masks()["pre"], training=True)


# ---- Bidirectional ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("mask", ["pre", "post"])
def test_bidirectional(dtype, merge_mode, return_sequences, mask):
    layer = built(L.Bidirectional(L.GRU(U, return_sequences=return_sequences, dtype=dtype),
                                  merge_mode=merge_mode))
    assert_same(layer, data(dtype), masks()[mask])


@pytest.mark.parametrize("kind", RECURRENT)
def test_bidirectional_of_every_kind_with_state_and_dropout(kind):
    inner = RECURRENT[kind](return_sequences=True, return_state=True, dropout=0.2,
                            recurrent_dropout=0.3, dtype="float64", seed=11)
    layer = built(L.Bidirectional(inner))
    assert_same(layer, data("float64"), masks()["mixed"], training=True)


# ---- Dense, Embedding, Dropout ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", activations.ALL_NAMES)   # every one rnnkit has
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense(dtype, activation, use_bias):
    layer = built(L.Dense(4, activation=activation, use_bias=use_bias, dtype=dtype))
    assert_same(layer, data(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("noise_shape", [None, (None, 1, None)])
def test_dropout_in_training(dtype, noise_shape):
    layer = built(L.Dropout(0.4, noise_shape=noise_shape, seed=2, dtype=dtype))
    assert_same(layer, data(dtype), training=True)


def test_dropout_at_inference_is_identity():
    x = data("float32")
    module = build_module(built(L.Dropout(0.5))).eval()
    np.testing.assert_array_equal(module(torch.tensor(x)).numpy(), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_gradient_and_mask(dtype):
    layer = L.Embedding(20, F, mask_zero=True, dtype=dtype)
    layer.ensure_built((None, T))
    randomize(layer)
    ids = np.random.default_rng(3).integers(0, 20, (B, T))
    y, cache = layer.forward_train(ids, training=False)
    dy = np.random.default_rng(4).standard_normal(y.shape).astype(dtype)
    _, numpy_grads = layer.backward(dy, cache)
    module = build_module(layer)
    y_t = module(torch.tensor(ids))
    (y_t * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y_t.detach().numpy(), y, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_allclose(module.keras_grads()[0], numpy_grads[0], rtol=TOL[dtype],
                               atol=TOL[dtype])
    np.testing.assert_array_equal(module.compute_mask(torch.tensor(ids), None).numpy(),
                                  layer.compute_mask(ids, None))


# ---- stacked, masked models ---------------------------------------------------------------------------
def stacked(dtype, dropout=0.0):
    return [L.Embedding(30, F, mask_zero=True, dtype=dtype),
            L.LSTM(U, return_sequences=True, dropout=dropout, recurrent_dropout=dropout,
                   dtype=dtype, seed=1),
            L.Bidirectional(L.GRU(U, return_sequences=True, dropout=dropout, dtype=dtype,
                                  seed=2)),
            L.Dropout(dropout, seed=3, dtype=dtype),
            L.SimpleRNN(U, go_backwards=True, dtype=dtype),
            L.Dense(1, activation="sigmoid", dtype=dtype)]


def padded_ids(padding):
    ids = np.random.default_rng(2).integers(1, 30, (B, T))
    if padding == "pre":
        ids[0, :3] = 0
        ids[2, :5] = 0
    else:
        ids[1, -2:] = 0
        ids[3, -5:] = 0
    return ids


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("training", [False, True])
def test_stacked_masked_model(dtype, padding, training):
    layers = stacked(dtype, dropout=0.25 if training else 0.0)
    ids = padded_ids(padding)
    x, mask = ids, None
    for i, layer in enumerate(layers):
        layer.ensure_built((None,) + np.shape(x)[1:])
        randomize(layer, seed=i)
        x = layer.forward(x, training=False, mask=mask)
        mask = layer.compute_mask(x, mask) if i else layer.compute_mask(ids, None)
    states = [[g.bit_generator.state for g in rngs(layer)] for layer in layers]
    x, mask, caches = ids, None, []
    for layer in layers:
        (x, cache), mask = layer.forward_train(x, training=training, mask=mask), \
            layer.compute_mask(x, mask)
        caches.append(cache)
    dy = np.random.default_rng(5).standard_normal(x.shape).astype(dtype)
    d, numpy_grads = dy, [None] * len(layers)
    for i in reversed(range(len(layers))):
        d, numpy_grads[i] = layers[i].backward(d, caches[i])

    for layer, saved in zip(layers, states):
        for g, s in zip(rngs(layer), saved):
            g.bit_generator.state = s
    net = TorchNetwork(layers).train(training)
    y = net(torch.tensor(ids))
    (y * torch.tensor(dy)).sum().backward()
    tol = TOL[dtype]
    np.testing.assert_allclose(y.detach().numpy(), x, rtol=tol, atol=tol)
    for layer, grads, ours in zip(layers, net.keras_grads(), numpy_grads):
        for name, g, n in zip(layer.weight_names, grads, ours, strict=True):
            np.testing.assert_allclose(g, n, rtol=tol, atol=tol, err_msg=f"{layer.name}/{name}")


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_a_go_backwards_sequence_passes_its_mask_on_unreversed(padding):
    """After a go_backwards layer with return_sequences, the next layer sees the input's mask in
    the original time order on both engines (Keras's rule; the sequence itself is reversed)."""
    layers = [L.Embedding(30, F, mask_zero=True), L.SimpleRNN(U, go_backwards=True,
                                                                return_sequences=True),
              L.GRU(U), L.Dense(1, activation="sigmoid")]
    ids = padded_ids(padding)
    x, mask = ids, None
    for i, layer in enumerate(layers):
        layer.ensure_built((None,) + np.shape(x)[1:])
        randomize(layer, seed=i)
        x, mask = layer.forward(x, mask=mask), layer.compute_mask(x if i else ids, mask)
    module = TorchNetwork(layers).blocks[1]
    passed = module.compute_mask(None, torch.tensor(ids != 0))
    np.testing.assert_array_equal(passed.numpy(), ids != 0)
    y = TorchNetwork(layers).eval()(torch.tensor(ids)).detach().numpy()
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-6,
                               err_msg="the GRU after a go_backwards layer read another mask")


@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_a_batch_cut_in_two_pieces_equals_autograd(kind, go_backwards):
    """A batch large enough that the compiled loops, the input projection and the input
    gradients run on two pieces (kernels/split.py): every gradient still equals autograd's.
    In float64: dW sums 3,200 rows, whose float32 rounding alone reaches 1e-5."""
    dtype = "float64"
    from rnnkit.kernels import split
    make = {"simple_rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU,
            "gru_reset_before": lambda units, **kw: L.GRU(units, reset_after=False, **kw)}[kind]
    layer = make(64, return_sequences=True, go_backwards=go_backwards, dtype=dtype)
    layer.ensure_built((None, 80, 12))
    # small weights: a contracting recurrence (±0.6 over 64 units makes SimpleRNN chaotic, and
    # rounding differences between any two correct engines grow without bound over 80 steps)
    rng = np.random.default_rng(0)
    layer.set_weights([rng.uniform(-0.15, 0.15, w.shape).astype(w.dtype)
                       for w in layer.params()])
    assert len(split.rows(40, 80, layer.units, layer.cell.kernel.shape[1])) == 2
    x = np.random.default_rng(3).standard_normal((40, 80, 12)).astype(dtype)
    assert_same(layer, x, None)
