"""Both cores for the NumPy engine: a second thread where it pays, the same numbers either way.

What runs side by side (measured on the 2-core reference machine, docs/benchmarks.md):

* a ``Bidirectional`` layer's two directions (forward, training forward, backward);
* a recurrent layer's compiled time loop on two halves of the batch (``kernels/split.py``):
  the rows of a batch never meet inside the loop, and numba releases the GIL.

Every piece of work is cut by *shape alone* (``kernels/split.py`` decides from the batch and
layer sizes, never from the thread count); the thread count only decides whether the pieces run
one after the other or side by side, and the pieces are combined in a fixed order. So results
are bit-identical for one thread and for two (tests/engine/test_parallel.py checks outputs,
gradients and trained weights).

How many threads (``threads()``), first match wins:

1. ``set_threads(n)`` (``None`` undoes it), then the environment variable ``RNNKIT_THREADS``
   (``RNNKIT_THREADS=1``: everything on the calling thread);
2. otherwise min(2, the cores this process may run on (``os.sched_getaffinity``),
   ``OMP_NUM_THREADS``, and the loaded BLAS's thread setting outside rnnkit's own one-thread
   passes — which is where a ``threadpoolctl.threadpool_limits`` the user entered shows).

At most two threads: work is cut into at most two pieces. Each piece runs its products on one
BLAS thread (``blas.single_blas_thread``, process-wide), so two pieces use two cores, not
four. A piece never splits again: inside a piece ``threads()`` is 1. If the worker is busy (the
engine called from several threads at once), the caller runs both pieces itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from . import blas

MAX_THREADS = 2
#: Fewer multiply-adds than this in a piece's products (a rough measure of its time), and a
#: second thread does not pay: waking it costs tens of µs, far more on a loaded machine, and
#: the pieces of a loop this small take about 1 ms (measured: docs/benchmarks.md).
MIN_WORK = 4_000_000

_override: int | None = None
_local = threading.local()               # .inside > 0: this thread is running a piece
_pool: ThreadPoolExecutor | None = None
_free = threading.Semaphore(MAX_THREADS - 1)    # idle workers
_pool_lock = threading.Lock()


def _positive(value, source: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ValueError(f"{source} must be a whole number ≥ 1, got {value!r}")
    return n


def set_threads(n: int | None) -> None:
    """Use ``n`` threads (1: one thread; capped at 2) from now on; ``None``: back to
    ``RNNKIT_THREADS`` or the default."""
    global _override
    _override = None if n is None else _positive(n, "set_threads(n)")


def get_threads() -> int | None:
    """What ``set_threads`` set (None: not set)."""
    return _override


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _omp_limit() -> int | None:
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    try:
        return max(1, int(value))
    except ValueError:
        return None


def _blas_limit() -> int | None:
    try:
        return blas.outside_threads()
    except (ImportError, OSError, AttributeError):  # pragma: no cover - unreadable library
        return None


def threads() -> int:
    """How many threads a pass starting now may use (1 inside a piece)."""
    if getattr(_local, "inside", 0):
        return 1
    requested = _override
    if requested is None and os.environ.get("RNNKIT_THREADS", "").strip():
        requested = _positive(os.environ["RNNKIT_THREADS"], "RNNKIT_THREADS")
    if requested is not None:
        return min(requested, MAX_THREADS)
    limits = [MAX_THREADS, _cores(), _omp_limit(), _blas_limit()]
    return max(1, min(n for n in limits if n is not None))


def _piece(fn: Callable):
    _local.inside = getattr(_local, "inside", 0) + 1
    try:
        return fn()
    finally:
        _local.inside -= 1


def _worker_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(MAX_THREADS - 1, thread_name_prefix="rnnkit")
        return _pool


def run(fns: Sequence[Callable], work: float | None = None) -> list:
    """[fn() for fn in fns], the first on this thread and the second on the worker when
    ``threads()`` allows and each piece has ``work`` ≥ ``MIN_WORK`` multiply-adds (None: no
    estimate, always worth it); results in order. Each call is a piece (it will not split
    again). Waits for every piece before raising the first (in order) exception."""
    fns = list(fns)
    small = work is not None and work < MIN_WORK
    if len(fns) != 2 or small or threads() < 2 or not _free.acquire(blocking=False):
        return [_piece(fn) for fn in fns]
    # BLAS goes to one thread here, in the calling thread, before the worker starts (and back
    # after it is done): OpenBLAS ignores some of its process-wide set_num_threads calls made
    # while another thread is inside BLAS, which left BLAS — and so this module — on one thread
    # for good when the pieces' own passes set and restored it (benchmarks/repro_blas_threads.py).
    with blas.single_blas_thread():
        try:
            future = _worker_pool().submit(_piece, fns[1])
        except BaseException:
            _free.release()
            raise
        try:
            first = _piece(fns[0])
        except BaseException:
            _wait(future)
            raise
        return [first, _wait(future)]


def _wait(future):
    try:
        return future.result()
    finally:
        _free.release()


def _after_fork_in_child() -> None:
    """A forked child has no worker thread: start afresh."""
    global _pool, _free, _pool_lock
    _pool, _free, _pool_lock = None, threading.Semaphore(MAX_THREADS - 1), threading.Lock()
    _local.__dict__.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
