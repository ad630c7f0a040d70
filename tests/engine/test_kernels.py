"""The compiled loops (numba) equal the reference NumPy loop, option by option."""

import numpy as np
import pytest

from rnnkit import kernels, layers
from rnnkit.kernels.dispatch import NARROW_INPUT, LoopCache
from rnnkit.layers.recurrent import StepsRun

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba/scipy not installed")
B, T, F, U = 4, 7, 5, 6


def run(layer, x, mask, dy, compiled):
    """Forward and backward with the compiled loops on or off; returns outputs, dx and grads."""
    saved = kernels.enabled()
    kernels.set_enabled(compiled)
    try:
        y, cache = layer.forward_train(x, training=False, mask=mask)
        dx, grads = layer.backward(dy, cache)
        return y, dx, grads
    finally:
        kernels.set_enabled(saved)


def make(kind, dtype, **kw):
    cls, extra = {"simple_rnn": (layers.SimpleRNN, {}), "lstm": (layers.LSTM, {}),
                  "gru": (layers.GRU, {}), "gru_reset_before": (layers.GRU, {"reset_after": False})}[kind]
    layer = cls(U, dtype=dtype, **extra, **kw)
    layer.ensure_built((None, T, F))
    rng = np.random.default_rng(0)
    layer.set_weights([rng.uniform(-0.7, 0.7, w.shape) for w in layer.params()])
    return layer


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
    {"return_state": True, "return_sequences": True}, {"bptt_truncate": 3},
    {"return_state": True, "bptt_truncate": 2}, {"use_bias": False}])
@pytest.mark.parametrize("masked", [False, True])
def test_compiled_equals_reference(kind, dtype, tol, options, masked):
    layer = make(kind, dtype, **options)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, F)).astype(dtype)
    mask = None
    if masked:
        mask = np.ones((B, T), bool)
        mask[0, :3], mask[1, -2:], mask[2, :] = False, False, False
    y = layer.forward(x, mask=mask)
    outs = y if isinstance(y, list) else [y]
    dys = [rng.standard_normal(o.shape).astype(dtype) for o in outs]
    dy = dys if isinstance(y, list) else dys[0]

    ref = run(layer, x, mask, dy, compiled=False)
    fast = run(layer, x, mask, dy, compiled=True)
    for a, b in zip(ref[0] if isinstance(y, list) else [ref[0]],
                    fast[0] if isinstance(y, list) else [fast[0]], strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    np.testing.assert_allclose(ref[1], fast[1], rtol=tol, atol=tol)
    # zip would stop at the shorter list: a gradient either path leaves out would go unchecked
    assert len(ref[2]) == len(fast[2]) == len(layer.weight_names), \
        f"gradients: reference {len(ref[2])}, compiled {len(fast[2])}, " \
        f"weights {layer.weight_names}"
    for name, a, b in zip(layer.weight_names, ref[2], fast[2], strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
    {"return_state": True}, {"use_bias": False}])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("features", [F, NARROW_INPUT + 2])   # projected per step, and whole
@pytest.mark.parametrize("batch, time", [(B, T), (32, 70)])   # one loop; two halves (split)
def test_compiled_inference_equals_reference(kind, dtype, tol, options, masked, features,
                                             batch, time):
    """The inference loops (``infer_rows``: x·W + b per step for narrow inputs, else made
    whole first; on the two halves of a larger batch) give the reference loop's outputs."""
    cls, extra = {"simple_rnn": (layers.SimpleRNN, {}), "lstm": (layers.LSTM, {}),
                  "gru": (layers.GRU, {}),
                  "gru_reset_before": (layers.GRU, {"reset_after": False})}[kind]
    layer = cls(32, dtype=dtype, **extra, **options)
    layer.ensure_built((None, time, features))
    rng = np.random.default_rng(2)
    layer.set_weights([rng.uniform(-0.3, 0.3, w.shape) for w in layer.params()])
    x = rng.standard_normal((batch, time, features)).astype(dtype)
    mask = None
    if masked:
        mask = np.ones((batch, time), bool)
        mask[0, :3], mask[1, -2:], mask[2, :] = False, False, False
    saved = kernels.enabled()
    try:
        kernels.set_enabled(False)
        ref = layer.forward(x, mask=mask)
        kernels.set_enabled(True)
        fast = layer.forward(x, mask=mask)
    finally:
        kernels.set_enabled(saved)
    for a, b in zip(ref if isinstance(ref, list) else [ref],
                    fast if isinstance(fast, list) else [fast], strict=True):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_compiled_path_is_taken_only_where_it_applies(compiled_on):
    lstm = make("lstm", "float32")
    assert isinstance(lstm.forward_train(np.zeros((2, T, F), np.float32))[1].run, LoopCache)
    rd = make("lstm", "float32", recurrent_dropout=0.5)
    assert isinstance(rd.forward_train(np.zeros((2, T, F), np.float32))[1].run, StepsRun)
    relu = make("simple_rnn", "float32", activation="relu")
    assert isinstance(relu.forward_train(np.zeros((2, T, F), np.float32))[1].run, StepsRun)
    truncated = make("lstm", "float32", bptt_truncate=2, return_sequences=True)
    assert isinstance(truncated.forward_train(np.zeros((2, T, F), np.float32))[1].run, StepsRun)


SPY_SCRIPT = """
import json, numpy as np, threadpoolctl
from rnnkit import layers
from rnnkit.kernels import dispatch
seen = []
def spying(real):
    def spy(*args):
        seen.append([i["num_threads"] for i in threadpoolctl.threadpool_info()
                     if i["user_api"] == "blas"])
        return real(*args)
    return spy
dispatch.GRULoop.forward = spying(dispatch.GRULoop.forward)
dispatch.GRULoop.infer = spying(dispatch.GRULoop.infer)
gru = layers.GRU(4)
gru(np.ones((2, 5, 3), np.float32))                  # inference: the infer loop
gru.forward_train(np.ones((2, 5, 3), np.float32))    # training: the forward loop
print(json.dumps(seen))
"""


def test_compiled_loops_run_on_one_blas_thread_in_a_fresh_process():
    """numba's np.dot runs on SciPy's BLAS, loaded late; the one-thread limit must cover it too
    (two threads on these tiny products were up to 300× slower on the shared machine)."""
    import json
    import subprocess
    import sys

    env = {**__import__("os").environ, "RNNKIT_NUMBA": "1", "OPENBLAS_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", SPY_SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(seen) == 2 and all(len(s) >= 2 and set(s) == {1} for s in seen), seen


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_propagates_through_the_compiled_loops(kind, dtype, compiled_on):
    """The clamp in the float32 tanh must not turn a NaN into ±1 (TerminateOnNaN relies on it)."""
    layer = make(kind, dtype, return_sequences=True)
    x = np.ones((2, T, F), dtype)
    x[0, 2, 1] = np.nan
    y = layer.forward(x)
    assert np.isnan(y[0, 2:]).all() and np.isfinite(y[1]).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_backward_compiled_equals_reference(dtype):
    emb = layers.Embedding(50, 6, dtype=dtype)
    ids = np.random.default_rng(0).integers(0, 50, (8, 30))
    dy = np.random.default_rng(1).standard_normal((8, 30, 6)).astype(dtype)
    grads = []
    for compiled in (False, True):
        saved = kernels.enabled()
        kernels.set_enabled(compiled)
        try:
            emb.ensure_built((None, 30))
            _, cache = emb.forward_train(ids)
            grads.append(emb.backward(dy, cache)[1][0])
        finally:
            kernels.set_enabled(saved)
    expected = np.zeros((50, 6))
    np.add.at(expected, ids.ravel(), dy.reshape(-1, 6))
    for g in grads:
        np.testing.assert_allclose(g, expected, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-5 if dtype == "float32" else 1e-12)


def test_a_cell_subclass_does_not_inherit_its_parents_compiled_loop():
    """A subclass that changes the step must run its own math, not the parent's compiled loop."""
    from rnnkit.layers import LSTMCell

    class Peephole(LSTMCell):
        pass

    assert LSTMCell(3).compiled is not None and Peephole(3).compiled is None
    layer = layers.RNN(Peephole(3))
    layer.ensure_built((None, 4, 2))
    assert isinstance(layer.forward_train(np.ones((2, 4, 2), np.float32))[1].run, StepsRun)
