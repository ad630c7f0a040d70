"""Where an update rule may run as its compiled loop (rnnkit.kernels.optimizers) instead.

The loop does the rule's arithmetic in one pass, bit for bit, on flat float32 views of the
weight, its gradient and its slots. It applies when the compiled kernels are on (numba installed,
not ``RNNKIT_NUMBA=0``) and every array is float32, C-contiguous, of the weight's shape and in
host memory: NumPy arrays, or the torch engine's CPU tensors, which share their memory with NumPy.
Elsewhere (float64 gradient checks, CUDA tensors, numba off) the rule runs as written.
"""

from __future__ import annotations

import numpy as np

from .. import kernels


def views(xp, weight, *others) -> list[np.ndarray] | None:
    """Flat NumPy views of ``weight`` and ``others`` (same memory), or None where the compiled
    loop does not apply."""
    if not kernels.enabled():
        return None
    arrays = [xp.host(a) for a in (weight, *others)]
    if any(a is None for a in arrays) or not all(_fits(a, arrays[0].shape) for a in arrays):
        return None
    return [a.reshape(-1) for a in arrays]


def _fits(a: np.ndarray, shape: tuple) -> bool:
    return a.dtype == np.float32 and a.flags.c_contiguous and a.shape == shape


def loops():
    """The compiled loops' module (imports numba: call only after ``views`` said yes)."""
    from ..kernels import optimizers
    return optimizers
