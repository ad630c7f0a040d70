"""BLAS threading for tiny matrices.

A recurrent step multiplies (batch, units) by (units, k·units): a few thousand multiply-adds, far
less than the cost of waking a second BLAS thread. Measured on the 2-core reference machine, an
Embedding(500,16)+LSTM(8) training step took 5.3 ms with one BLAS thread and 33.6 ms with two.
The all-steps products (x·W, xᵀ·dxw) are larger, but on this shared machine a second thread lost
there too — (64000, 32)ᵀ·(64000, 32): 3.1 ms with one thread, 1141 ms with two when the other
core was busy; (9600, 256)·(256, 768): 42 ms vs 72 ms — so recurrent layers run all their
products on one BLAS thread.

The limit is process-wide (BLAS has one thread setting), so ``single_blas_thread`` counts the
passes inside it: the first one in sets the limit, the last one out restores it. A plain
threadpoolctl limit per pass would, with passes running in several threads, restore the
settings out of order and could leave BLAS on one thread for good.

``outside_threads`` reports the BLAS thread count as it stood *outside* these passes — what a
user's ``threadpoolctl`` limit or ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS`` left it at —
so that ``rnnkit.parallel`` can respect it even while a pass holds BLAS at one thread.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
_lock = threading.Lock()
_depth = 0                 # passes now inside single_blas_thread, in every thread
_limiter = None            # the threadpoolctl limit they share
_outside: int | None = None  # BLAS threads before the first pass in set the limit


def refresh() -> None:
    """Look again for loaded BLAS libraries (call after loading one, e.g. SciPy's for numba)."""
    global _controller
    _controller = ThreadpoolController()


def _blas_threads() -> int | None:
    """The fewest threads any loaded BLAS is set to now; None when no BLAS is found."""
    if _controller is None:
        refresh()
    counts = [lib.num_threads for lib in _controller.lib_controllers if lib.user_api == "blas"]
    return min(counts) if counts else None


def outside_threads() -> int | None:
    """The BLAS thread setting outside rnnkit's own one-thread passes (the user's limit, or the
    library's default); None when no BLAS library is loaded."""
    with _lock:
        if _depth > 0:
            return _outside
        return _blas_threads()


@contextmanager
def single_blas_thread():
    """A context in which every loaded BLAS (NumPy's, SciPy's) uses one thread; nests, and may
    be entered from several threads at once."""
    global _depth, _limiter, _outside
    with _lock:
        if _depth == 0:
            _outside = _blas_threads()
            _limiter = _controller.limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
                _limiter = None

