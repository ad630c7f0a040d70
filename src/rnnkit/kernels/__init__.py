"""Compiled time loops (numba) for the common recurrent configurations — an optional accelerator.

The step-by-step NumPy code in ``layers/cells.py`` and ``layers/recurrent.py`` is the reference:
it is what the textbook derivation maps onto, and it handles every option. The kernels here
compute the same equations with the time *and* batch loops compiled, which removes the per-step
interpreter overhead that dominates small recurrent layers. They are used only when numba is
installed (``pip install rnnkit[fast]``), the layer uses the default activations (tanh and
sigmoid), and there is no recurrent dropout and no truncation of sequence outputs; tests check
they equal the reference.

Layout: kernels work time-major — xw (T, B, k·u), mask (T, B) — so each step reads contiguous
memory. They return the per-step values the backward pass needs and leave the weight gradient
dU = Σ_t h_tᵀ · d(h·U)_t to one matrix product over all steps (``recurrent_kernel_grad``).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

# numba (and SciPy, which numba's np.dot calls into) are optional: without them every layer
# runs the reference loop. Looked up, not imported, so that ``import rnnkit`` stays quick.
AVAILABLE = all(importlib.util.find_spec(m) is not None for m in ("numba", "scipy"))

_enabled = AVAILABLE and os.environ.get("RNNKIT_NUMBA", "1") != "0"


def enabled() -> bool:
    """Whether layers may use the compiled kernels (numba installed and not switched off)."""
    return _enabled


def set_enabled(flag: bool) -> None:
    """Switch the compiled kernels on or off (``RNNKIT_NUMBA=0`` does the same at start-up)."""
    global _enabled
    if flag and not AVAILABLE:
        raise RuntimeError("compiled kernels need numba: pip install 'rnnkit[fast]'")
    _enabled = bool(flag)


def recurrent_kernel_grad(h_in: np.ndarray, d_rec: np.ndarray) -> np.ndarray:
    """dU = Σ_t h_tᵀ · d_rec_t as one product: h_in (T, B, u), d_rec (T, B, k·u) → (u, k·u)."""
    return h_in.reshape(-1, h_in.shape[-1]).T @ d_rec.reshape(-1, d_rec.shape[-1])
