"""Both cores (rnnkit.parallel): how many threads, what runs on them, and the same bits for one
thread and two.

* the thread count: RNNKIT_THREADS / set_threads, else min(2, affinity, OMP_NUM_THREADS, the
  BLAS limit a user set with threadpoolctl);
* ``parallel.run``: the second piece on the worker, results in order, errors after both ended,
  one thread inside a piece (no nested splitting), small pieces inline;
* two threads × one BLAS thread each during a pass (no oversubscription);
* the batch-split compiled loops equal the reference loop (outputs and gradients, every cell,
  masks, go_backwards, sequences, states, truncation) — the loops are split down to 8 rows here
  by lowering ``parallel.MIN_WORK``;
* outputs, gradients and trained weights are bit-identical for RNNKIT_THREADS=1 and 2.
"""

import threading

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

import rnnkit
from rnnkit import kernels, layers, parallel
from rnnkit.kernels import dispatch, split

from ._cell_helpers import randomized

needs_numba = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba/scipy not installed")


@pytest.fixture(autouse=True)
def _threads_default(monkeypatch):
    """Each test starts from the default thread choice (no RNNKIT_THREADS, no set_threads)."""
    monkeypatch.delenv("RNNKIT_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    saved = parallel.get_threads()
    parallel.set_threads(None)
    yield
    parallel.set_threads(saved)


@pytest.fixture
def split_small(monkeypatch):
    """Split loops and run Bidirectional's directions apart even at test sizes."""
    monkeypatch.setattr(parallel, "MIN_WORK", 0)


# ---- how many threads ------------------------------------------------------------------------------
def test_rnnkit_threads_and_set_threads_choose(monkeypatch):
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setenv("RNNKIT_THREADS", "1")
    assert parallel.threads() == 1
    monkeypatch.setenv("RNNKIT_THREADS", "2")
    assert parallel.threads() == 2
    monkeypatch.setenv("RNNKIT_THREADS", "16")
    assert parallel.threads() == 2                 # work is cut in two pieces at most
    parallel.set_threads(1)                        # the call wins over the environment
    assert parallel.threads() == 1
    parallel.set_threads(None)
    assert parallel.threads() == 2
    monkeypatch.setenv("RNNKIT_THREADS", "two")
    with pytest.raises(ValueError, match="RNNKIT_THREADS"):
        parallel.threads()
    with pytest.raises(ValueError, match="set_threads"):
        parallel.set_threads(0)


def test_default_respects_affinity_omp_and_threadpoolctl(monkeypatch):
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    assert parallel.threads() == 2
    monkeypatch.setattr(parallel, "_cores", lambda: 1)     # taskset -c 0
    assert parallel.threads() == 1
    monkeypatch.setattr(parallel, "_cores", lambda: 8)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert parallel.threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    with threadpool_limits(limits=1, user_api="blas"):
        assert parallel.threads() == 1
        with rnnkit.blas.single_blas_thread():             # rnnkit's own limit is no user's
            assert parallel.threads() == 1
    with rnnkit.blas.single_blas_thread():
        assert parallel.threads() == 2
    monkeypatch.setenv("RNNKIT_THREADS", "2")               # asked for explicitly: two
    with threadpool_limits(limits=1, user_api="blas"):
        assert parallel.threads() == 2


# ---- parallel.run ----------------------------------------------------------------------------------
def where():
    return threading.get_ident(), parallel.threads()


def test_run_uses_the_worker_for_the_second_piece_only_when_allowed():
    parallel.set_threads(2)
    (t0, n0), (t1, n1) = parallel.run([where, where])
    assert t0 == threading.get_ident() and t1 != t0
    assert n0 == n1 == 1                            # a piece never splits again
    assert parallel.threads() == 2                  # and the caller is itself again
    (t0, _), (t1, _) = parallel.run([where, where], work=parallel.MIN_WORK - 1)
    assert t0 == t1 == threading.get_ident()        # too small to pay for a thread
    parallel.set_threads(1)
    (t0, n0), (t1, n1) = parallel.run([where, where])
    assert t0 == t1 == threading.get_ident() and n0 == n1 == 1
    assert parallel.run([lambda: "a", lambda: "b"]) == ["a", "b"]


def test_run_waits_for_both_pieces_before_raising():
    parallel.set_threads(2)
    finished = threading.Event()

    def slow():
        finished.wait(0)
        import time
        time.sleep(0.05)
        finished.set()
        return 1

    def fails():
        raise KeyError("first")

    with pytest.raises(KeyError, match="first"):
        parallel.run([fails, slow])
    assert finished.is_set()
    with pytest.raises(ZeroDivisionError):
        parallel.run([lambda: 1, lambda: 1 / 0])
    assert parallel.run([lambda: 1, lambda: 2]) == [1, 2]   # the worker is free again


# ---- two threads × one BLAS thread -----------------------------------------------------------------
@needs_numba
def test_a_pass_runs_on_two_threads_with_one_blas_thread_each(compiled_on, monkeypatch):
    """Bidirectional(GRU) large enough to split: its directions run on two threads, the loops
    inside them do not split again, and every loop runs with BLAS at one thread."""
    seen, blas = [], ThreadpoolController()
    original = dispatch.GRULoop.forward

    def spy(self, cell, xw, mask):
        counts = {lib.num_threads for lib in blas.lib_controllers if lib.user_api == "blas"}
        seen.append((threading.get_ident(), parallel.threads(), counts, xw.shape[1]))
        return original(self, cell, xw, mask)

    monkeypatch.setattr(dispatch.GRULoop, "forward", spy)
    layer = layers.Bidirectional(layers.GRU(64))
    x = np.random.default_rng(0).standard_normal((64, 300, 32)).astype("float32")
    layer.ensure_built(x.shape)
    parallel.set_threads(2)
    layer.forward_train(x)
    assert len({s[0] for s in seen}) == 2, seen                 # both cores
    assert all(s[1] == 1 and s[2] == {1} for s in seen), seen    # 1 BLAS thread, no nesting
    assert sorted(s[3] for s in seen) == [32] * 4                # each direction in two halves
    seen.clear()
    parallel.set_threads(1)
    layer.forward_train(x)
    assert len({s[0] for s in seen}) == 1 and len(seen) == 4


# ---- the split loops compute what the reference loop computes --------------------------------------
KINDS = {"simple_rnn": (layers.SimpleRNN, {}), "lstm": (layers.LSTM, {}),
         "gru": (layers.GRU, {}), "gru_reset_before": (layers.GRU, {"reset_after": False})}
B, T, F, U = 17, 9, 5, 6          # odd batch: halves of 9 and 8 rows


def recurrent(kind, dtype="float64", **options):
    cls, extra = KINDS[kind]
    return randomized(cls(U, dtype=dtype, **extra, **options), scale=0.7, shape=(None, T, F))


def batch_mask():
    mask = np.ones((B, T), bool)
    mask[0, :3], mask[1, -2:], mask[2, :], mask[B - 1, 4:] = False, False, False, False
    return mask


def run_layer(layer, x, mask, dy_seed=2):
    """(outputs, inference outputs, dx, grads) of one forward_train/backward."""
    y, cache = layer.forward_train(x, mask=mask)
    rng = np.random.default_rng(dy_seed)
    dy = [rng.standard_normal(np.shape(o)) for o in y] if isinstance(y, list) \
        else rng.standard_normal(y.shape)
    dx, grads = layer.backward(dy, cache)
    y_inf = layer.forward(x, mask=mask)
    as_list = (lambda v: v if isinstance(v, list) else [v])
    return as_list(y), as_list(y_inf), dx, grads, cache


@needs_numba
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
    {"return_state": True}, {"bptt_truncate": 4}], ids=lambda o: "-".join(o) or "plain")
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
def test_split_loops_equal_the_reference_loop(kind, options, masked, split_small, compiled_on):
    layer = recurrent(kind, **options)
    x = np.random.default_rng(1).standard_normal((B, T, F))
    mask = batch_mask() if masked else None
    parallel.set_threads(2)
    y, y_inf, dx, grads, cache = run_layer(layer, x, mask)
    assert isinstance(cache.run, split.SplitCache)               # the split path ran
    assert [r.stop - r.start for r in cache.run.rows] == [9, 8]
    kernels.set_enabled(False)
    y_ref, _, dx_ref, grads_ref, cache_ref = run_layer(layer, x, mask)
    assert not isinstance(cache_ref.run, split.SplitCache)
    for got, want in [*zip(y, y_ref, strict=True), *zip(y_inf, y_ref, strict=True),
                      (dx, dx_ref), *zip(grads, grads_ref, strict=True)]:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@needs_numba
def test_small_loops_stay_whole(compiled_on):
    """At the default threshold a test-sized loop is not worth a thread: one piece."""
    layer = recurrent("lstm")
    _, cache = layer.forward_train(np.zeros((B, T, F)))
    assert not isinstance(cache.run, split.SplitCache)
    assert split.rows(64, 300, 32, 96) == [slice(0, 32), slice(32, 64)]      # the main job's GRU
    assert split.rows(64, 100, 8, 32) == [slice(0, 64)]                      # W1's LSTM(8)
    assert split.rows(15, 10_000, 64, 256) == [slice(0, 15)]                 # under 2 × 8 rows


# ---- one thread and two: the same bits ---------------------------------------------------------------
VOCAB, STEPS = 50, 12


def ids(n, seed=0):
    x = np.random.default_rng(seed).integers(1, VOCAB, (n, STEPS))
    x[::3, :5] = 0
    x[1::3, -4:] = 0
    return x


def build_model():
    rnnkit.set_random_seed(7)
    layers.clear_session()
    m = rnnkit.Sequential([
        rnnkit.Input((STEPS,)), layers.Embedding(VOCAB, 8, mask_zero=True),
        layers.Bidirectional(layers.LSTM(U, return_sequences=True, dropout=0.2), merge_mode="mul"),
        layers.GRU(5, dropout=0.1),
        layers.Dense(3, "softmax")])
    m.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    return m


def train_and_predict(threads):
    parallel.set_threads(threads)
    m = build_model()
    x, y = ids(40), np.arange(40) % 3
    history = m.fit(x, y, batch_size=20, epochs=2, verbose=0, shuffle=True)
    return m.get_weights(), m.predict(x, verbose=0), history.history["loss"]


@pytest.mark.parametrize("loops", [pytest.param(True, id="compiled", marks=needs_numba),
                                   pytest.param(False, id="reference")])
def test_one_and_two_threads_train_and_predict_the_same_bits(loops, split_small):
    saved = kernels.enabled()
    kernels.set_enabled(loops)
    try:
        w1, p1, l1 = train_and_predict(1)
        w2, p2, l2 = train_and_predict(2)
    finally:
        kernels.set_enabled(saved)
    assert l1 == l2
    np.testing.assert_array_equal(p1, p2)
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)


@needs_numba
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidirectional", [False, True], ids=["plain", "bidirectional"])
def test_one_and_two_threads_give_the_same_gradients(kind, bidirectional, compiled_on, split_small):
    """A plain layer splits its loop in two halves; a Bidirectional layer runs its directions
    side by side (and their loops, inside a piece, one half after the other)."""
    layer = KINDS[kind][0](U, return_sequences=True, **KINDS[kind][1])
    layer = layers.Bidirectional(layer) if bidirectional else layer
    layer.ensure_built((None, T, F))
    x = np.random.default_rng(3).standard_normal((B, T, F)).astype("float32")
    results = []
    for n in (1, 2, 1):
        parallel.set_threads(n)
        y, cache = layer.forward_train(x, mask=batch_mask())
        dx, grads = layer.backward(np.ones_like(y), cache)
        results.append([y, layer.forward(x, mask=batch_mask()), dx, *grads])
    for run in results[1:]:
        for a, b in zip(results[0], run, strict=True):
            np.testing.assert_array_equal(a, b)


def test_blas_keeps_its_thread_setting_over_many_two_thread_steps(compiled_on):
    """OpenBLAS ignores some set_num_threads calls made while another thread is inside BLAS: when
    the pieces set and restored the process-wide limit themselves, BLAS was left on one thread
    after a step or two of a Bidirectional model — and rnnkit.parallel with it, for good."""
    before = rnnkit.blas.outside_threads()
    if not before or before < 2:
        pytest.skip("BLAS runs one thread here: nothing to lose")
    parallel.set_threads(2)
    rng = np.random.default_rng(0)
    x, y = rng.integers(1, 1000, (64, 100)), rng.integers(0, 2, 64).astype("float32")
    model = rnnkit.Sequential([rnnkit.Input((100,)), layers.Embedding(1000, 32),
                               layers.Bidirectional(layers.GRU(32)),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    for _ in range(12):
        model.train_on_batch(x, y)
        assert rnnkit.blas.outside_threads() == before
    parallel.set_threads(None)
    assert parallel.threads() == min(2, before)
