"""tanh and σ for the compiled loops, chosen by dtype when numba compiles them.

* float64: from exp, exact to rounding: tanh x = 2/(1 + e^(−2x)) − 1. A scalar libm exp costs
  ~3 ns and is not vectorized, which makes it the largest cost of a recurrent step.
* float32: a rational function of x², tanh x ≈ x·P(x²)/Q(x²) with P, Q of degree 4, fitted here
  by weighted least squares on [0, 9] (max error 3.9e-7 evaluated in float32, i.e. a few ulps;
  Q ≥ 1 so it never divides by ~0), and ±1 beyond |x| = 9 where float32 tanh is ±1. Plain
  arithmetic vectorizes: about twice as fast as the exp form in the LSTM forward loop.

σ(x) = ½·tanh(½x) + ½ exactly, so both gate nonlinearities are one ``tanh`` with an affine map
around it: a = α·tanh(s·z) + β — with (s, α, β) = (½, ½, ½) for σ and (1, 1, 0) for tanh —
which lets a loop over all gate columns run without a branch.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

_P = (9.9999990567984010e-01, 1.3374352665492245e-01, 3.4879729196828947e-03,
      2.0495572673272955e-05, 1.3218832792690109e-08)
_Q = (1.0, 4.6707649366907028e-01, 2.5847220130557961e-02, 3.2736961427294055e-04,
      7.7164619548855719e-07)
P0, P1, P2, P3, P4 = (np.float32(c) for c in _P)
Q0, Q1, Q2, Q3, Q4 = (np.float32(c) for c in _Q)
CLAMP = np.float32(9.0)


def tanh(x):
    """tanh, compiled per dtype (see the module docstring); plain NumPy outside numba."""
    return np.tanh(x)


@njit(inline="always")
def _tanh_rational32(x):
    x = min(max(x, -CLAMP), CLAMP)
    s = x * x
    p = P0 + s * (P1 + s * (P2 + s * (P3 + s * P4)))
    q = Q0 + s * (Q1 + s * (Q2 + s * (Q3 + s * Q4)))
    return x * p / q


@njit(inline="always")
def _tanh_exp(x):
    return 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0


@overload(tanh, inline="always")
def _tanh_for(x):
    if x == types.float32:
        return lambda x: _tanh_rational32(x)
    return lambda x: _tanh_exp(x)


HALF32 = np.float32(0.5)


def sigmoid(x):
    """σ, compiled per dtype like ``tanh``."""
    return 0.5 * np.tanh(0.5 * x) + 0.5


@overload(sigmoid, inline="always")
def _sigmoid_for(x):
    if x == types.float32:
        return lambda x: HALF32 * _tanh_rational32(HALF32 * x) + HALF32
    return lambda x: 1.0 / (1.0 + np.exp(-x))

