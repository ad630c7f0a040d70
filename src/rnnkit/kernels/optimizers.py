"""The optimizers' update rules, compiled: one pass over a weight instead of one per operator.

``Adam.update`` and ``RMSprop.update`` (rnnkit.optimizers) are written with whole-array operators,
each a pass over memory: Adam reads and writes the 20000×32 embedding's weight, gradient and two
slots about ten times a step. These loops do the same arithmetic element by element in one pass,
in the same order and precision, so the results are bit-identical: no fast-math (no fused
multiply-add, no reassociation), float32 operations on float32 values, and a correctly rounded
square root, as NumPy's. Arguments are flat (contiguous, 1-D) views; scalars are float32.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def adam(w, g, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, alpha, epsilon):
    """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w − α·m / (√v + ε)."""
    for i in range(w.shape[0]):
        gi = g[i]
        mi = m[i] * beta_1 + one_minus_beta_1 * gi
        vi = v[i] * beta_2 + one_minus_beta_2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - (mi * alpha) / (np.sqrt(vi) + epsilon)


@njit(cache=True, nogil=True, error_model="numpy")
def rmsprop(w, g, v, rho, one_minus_rho, lr, epsilon):
    """v ← ρv + (1 − ρ)g²;  w ← w − lr·g / √(v + ε)."""
    for i in range(w.shape[0]):
        gi = g[i]
        vi = v[i] * rho + one_minus_rho * (gi * gi)
        v[i] = vi
        w[i] = w[i] - (gi * lr) / np.sqrt(vi + epsilon)
