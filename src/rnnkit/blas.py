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
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
_lock = threading.Lock()
_depth = 0                 # passes now inside single_blas_thread, in every thread
_limiter = None            # the threadpoolctl limit they share


def refresh() -> None:
    """Look again for loaded BLAS libraries (call after loading one, e.g. SciPy's for numba)."""
    global _controller
    _controller = ThreadpoolController()


@contextmanager
def single_blas_thread():
    """A context in which every loaded BLAS (NumPy's, SciPy's) uses one thread; nests, and may
    be entered from several threads at once."""
    global _depth, _limiter
    with _lock:
        if _depth == 0:
            if _controller is None:
                refresh()
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

