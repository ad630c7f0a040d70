"""Inference is pure: it writes nothing on a model, its layers or their cells, so one model can
predict from many threads at once; and the compiled inference loops (which keep no per-step
record) compute what the training loops and the reference loop compute."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import rnnkit
from rnnkit import kernels, layers
from rnnkit.layers.cells import RecurrentCell

from ._cell_helpers import randomized

B, T, F, U = 4, 7, 5, 6
VOCAB, STEPS = 40, 16
NEEDS_NUMBA = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba/scipy not installed")
PATHS = [pytest.param(True, id="compiled", marks=NEEDS_NUMBA),
         pytest.param(False, id="reference")]


@pytest.fixture
def loops(request):
    """Switch the compiled loops on or off for one test (the switch is process-wide)."""
    saved = kernels.enabled()
    kernels.set_enabled(request.param)
    yield request.param
    kernels.set_enabled(saved)


def ids(n, seed=0):
    """Token ids with pre- and post-padding (id 0, masked) and one all-padding row."""
    x = np.random.default_rng(seed).integers(1, VOCAB, (n, STEPS))
    x[::3, :5] = 0
    x[1::3, -4:] = 0
    x[2] = 0
    return x


def model(dropout=0.0):
    """Embedding(mask_zero) + Bidirectional(LSTM) + GRU + Dense, random biases included."""
    rnnkit.set_random_seed(3)
    m = rnnkit.Sequential([
        rnnkit.Input((STEPS,)), layers.Embedding(VOCAB, 8, mask_zero=True),
        layers.Bidirectional(layers.LSTM(U, return_sequences=True, dropout=dropout,
                                         recurrent_dropout=dropout)),
        layers.Dropout(dropout), layers.GRU(5, dropout=dropout), layers.Dense(3, "softmax")])
    rng = np.random.default_rng(4)
    m.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in m.get_weights()])
    return m


# ---- (a) one model, eight threads ----------------------------------------------------------------
@pytest.mark.parametrize("loops", PATHS, indirect=True)
def test_predict_from_eight_threads_equals_sequential(loops):
    m = model()
    m.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    batches = [ids(8 + i % 5, seed=i) for i in range(48)]        # several batch sizes
    expected = [m.predict(x, verbose=0) for x in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            got = list(pool.map(lambda x: m.predict(x, verbose=0), batches))
            called = list(pool.map(m, batches))
            for e, g, c in zip(expected, got, called, strict=True):
                np.testing.assert_array_equal(g, e)
                np.testing.assert_array_equal(c, e)


# ---- (b) inference writes nothing --------------------------------------------------------------
def parts(m):
    """The model, every layer (Bidirectional's directions too) and every cell."""
    found = [m]
    for layer in m.layers:
        for part in (layer, getattr(layer, "forward_layer", None),
                     getattr(layer, "backward_layer", None)):
            if part is not None:
                found.append(part)
                if isinstance(getattr(part, "cell", None), RecurrentCell):
                    found.append(part.cell)
    return found


def snapshot(obj) -> dict:
    """Each attribute: the object it names, and a copy of its value where it could change in
    place (arrays, a generator's state, lists and dicts)."""
    def value(v):
        if isinstance(v, np.ndarray):
            return v.copy()
        if isinstance(v, np.random.Generator):
            return v.bit_generator.state
        return list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else None
    return {k: (v, value(v)) for k, v in vars(obj).items()}


def assert_unchanged(before: dict, after: dict, what: str):
    assert before.keys() == after.keys(), \
        f"{what}: attributes added {sorted(after.keys() - before.keys())}, " \
        f"removed {sorted(before.keys() - after.keys())}"
    for key, (obj, value) in before.items():
        new_obj, new_value = after[key]
        assert new_obj is obj, f"{what}.{key} was rebound"
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(new_value, value, err_msg=f"{what}.{key}")
        else:
            assert new_value == value, f"{what}.{key} changed"


@pytest.mark.parametrize("loops", PATHS, indirect=True)
def test_inference_leaves_every_layer_and_cell_unchanged(loops):
    m = model(dropout=0.3)              # dropout layers: inference must not draw masks either
    x = ids(6)
    m.predict(x[:2], verbose=0)         # builds nothing more: the model has an Input
    objects = parts(m)
    before = [snapshot(o) for o in objects]

    m.predict(x, verbose=0)
    m(x)
    out, mask = x, None
    for layer in m.layers:
        out, mask = layer.forward(out, training=False, mask=mask), layer.compute_mask(out, mask)

    for o, b in zip(objects, before, strict=True):
        assert_unchanged(b, snapshot(o), getattr(o, "name", type(o).__name__))


@pytest.mark.parametrize("loops", PATHS, indirect=True)
def test_the_snapshot_sees_what_a_training_pass_changes(loops):
    """The check above must be able to fail: a training-mode call draws dropout masks (the
    generators move), and an optimizer step changes the weights in place."""
    m = model(dropout=0.3)
    m.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    x, y = ids(6), np.arange(6) % 3
    m.predict(x[:2], verbose=0)
    lstm = m.layers[1].forward_layer
    before = snapshot(lstm), snapshot(lstm.cell)
    m(x, training=True)
    with pytest.raises(AssertionError, match="rng changed"):
        assert_unchanged(before[0], snapshot(lstm), "lstm")
    m.train_on_batch(x, y)
    with pytest.raises(AssertionError, match="kernel"):
        assert_unchanged(before[1], snapshot(lstm.cell), "cell")


# ---- (c) the inference loops compute what the other loops compute --------------------------------
KINDS = {"simple_rnn": (layers.SimpleRNN, {}), "lstm": (layers.LSTM, {}),
         "gru": (layers.GRU, {}), "gru_reset_before": (layers.GRU, {"reset_after": False})}


TOL = {"float32": 2e-6, "float64": 1e-14}


def make(kind, dtype, **kw):
    cls, extra = KINDS[kind]
    return randomized(cls(U, dtype=dtype, **extra, **kw), scale=0.7, shape=(None, T, F))


def step_mask(masked):
    if not masked:
        return None
    mask = np.ones((B, T), bool)
    mask[0, :3], mask[1, -2:], mask[2, :] = False, False, False
    return mask


def as_list(y):
    return y if isinstance(y, list) else [y]


@NEEDS_NUMBA
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("dtype, tol", TOL.items())
@pytest.mark.parametrize("keep_sequence", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_infer_loop_equals_the_training_loop(kind, dtype, tol, keep_sequence, masked, use_bias):
    """Kernel level: the same products in the same order, so the same numbers up to the last
    bit or two (fast-math lets LLVM fuse multiply-adds differently in the two loops)."""
    cell = make(kind, dtype, use_bias=use_bias).cell
    rng = np.random.default_rng(1)
    xw = rng.standard_normal((T, B, cell.kernel.shape[1])).astype(dtype)   # time-major
    mask = step_mask(masked)
    mask = None if mask is None else np.ascontiguousarray(mask.T)
    h_all, states, _ = cell.compiled.forward(cell, xw, mask)
    seq, infer_states = cell.compiled.infer(cell, xw, mask, keep_sequence)
    if keep_sequence:
        np.testing.assert_allclose(seq, h_all[1:], rtol=tol, atol=tol)
    else:
        assert seq is None
    assert len(infer_states) == len(states) == len(cell.state_names)
    for a, b in zip(infer_states, states, strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@NEEDS_NUMBA
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("dtype", list(TOL))
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
    {"go_backwards": True}, {"return_state": True},
    {"return_state": True, "return_sequences": True},
    {"zero_output_for_mask": True}, {"bptt_truncate": 2, "return_sequences": True},
    {"use_bias": False}])
@pytest.mark.parametrize("masked", [False, True])
def test_layer_inference_equals_training_and_reference(kind, dtype, options, masked):
    """Layer level: ``forward`` (compiled: the infer loops) against ``forward_train`` (compiled:
    the training loops) and the reference NumPy loop (``RNNKIT_NUMBA=0``), within rounding."""
    tol = 1e-5 if dtype == "float32" else 1e-12
    layer = make(kind, dtype, **options)
    x = np.random.default_rng(1).standard_normal((B, T, F)).astype(dtype)
    mask = step_mask(masked)
    saved = kernels.enabled()
    try:
        kernels.set_enabled(True)
        calls = []
        infer = type(layer.cell.compiled).infer_rows   # the inference loops' entry point

        def spy(*args):
            calls.append(args)
            return infer(*args)
        type(layer.cell.compiled).infer_rows = spy
        try:
            fast = as_list(layer.forward(x, mask=mask))
        finally:
            type(layer.cell.compiled).infer_rows = infer
        assert len(calls) == 1, "inference must run the compiled infer loop"
        trained = as_list(layer.forward_train(x, training=False, mask=mask)[0])
        kernels.set_enabled(False)
        reference = as_list(layer.forward(x, mask=mask))
    finally:
        kernels.set_enabled(saved)
    assert len(fast) == len(trained) == len(reference)
    for f, t, r in zip(fast, trained, reference, strict=True):
        assert f.shape == r.shape
        np.testing.assert_allclose(f, t, rtol=tol, atol=tol)
        np.testing.assert_allclose(f, r, rtol=tol, atol=tol)
