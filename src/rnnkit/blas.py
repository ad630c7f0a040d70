"""BLAS threading for tiny matrices.

A recurrent step multiplies (batch, units) by (units, k·units): a few thousand multiply-adds, far
less than the cost of waking a second BLAS thread. Measured on the 2-core reference machine, an
Embedding(500,16)+LSTM(8) training step took 5.3 ms with one BLAS thread and 33.6 ms with two.
The all-steps products (x·W, xᵀ·dxw) are larger, but on this shared machine a second thread lost
there too — (64000, 32)ᵀ·(64000, 32): 3.1 ms with one thread, 1141 ms with two when the other
core was busy; (9600, 256)·(256, 768): 42 ms vs 72 ms — so recurrent layers run all their
products on one BLAS thread.
"""

from __future__ import annotations

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

