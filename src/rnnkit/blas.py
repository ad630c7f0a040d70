"""BLAS threading for tiny matrices.

A recurrent step multiplies (batch, units) by (units, k·units): a few thousand multiply-adds, far
less than the cost of waking a second BLAS thread. Measured on the 2-core reference machine, an
Embedding(500,16)+LSTM(8) training step took 5.3 ms with one BLAS thread and 33.6 ms with two, so
the time loops run with one thread, while the big all-steps products (x·W, xᵀ·dxw) keep the
default.
"""

from __future__ import annotations

import contextlib

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None


def refresh() -> None:
    """Look again for loaded BLAS libraries (call after loading one, e.g. SciPy's for numba)."""
    global _controller
    _controller = ThreadpoolController()


def single_blas_thread():
    """A context in which every loaded BLAS (NumPy's, SciPy's) uses one thread."""
    if _controller is None:
        refresh()
    return _controller.limit(limits=1, user_api="blas")


# Below ~2^25 multiply-adds a product finishes in well under a millisecond on one core, and a
# second thread costs more to wake and synchronise than it saves (and much more on a busy machine).
_PARALLEL_MACS = 2 ** 25


def threads_for_product(m: int, k: int, n: int):
    """The context for an (m, k)·(k, n) product: one BLAS thread unless it is large."""
    if m * k * n < _PARALLEL_MACS:
        return single_blas_thread()
    return contextlib.nullcontext()
