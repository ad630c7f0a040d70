"""SimpleRNN time loop, compiled: h' = tanh(xw + h·U)."""

import numpy as np
from numba import njit

from .lstm import FASTMATH
from .nonlinear import tanh
from .rows import copy_row, copy_rows


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def forward(xw, U, mask, use_mask):
    """xw (T, B, u) time-major; returns h (T+1, B, u), index 0 the zero initial state."""
    T, B, u = xw.shape
    h = np.zeros((T + 1, B, u), xw.dtype)
    a = np.empty((B, u), xw.dtype)
    for t in range(T):
        np.dot(h[t], U, a)
        a += xw[t]
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(h[t + 1, b], h[t, b])
            else:
                for j in range(u):
                    h[t + 1, b, j] = tanh(a[b, j])
    return h


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def infer(xw, U, mask, use_mask, keep_seq):
    """``forward`` for inference: only the running h, no record for backward.

    Returns seq (T, B, u), h after every step if ``keep_seq`` (else an empty (0, B, u)), and the
    final h (B, u). Same products in the same order as ``forward``, so the same numbers.
    """
    T, B, u = xw.shape
    seq = np.empty((T if keep_seq else 0, B, u), xw.dtype)
    h = np.zeros((B, u), xw.dtype)
    a = np.empty((B, u), xw.dtype)
    for t in range(T):
        np.dot(h, U, a)                  # h·U is taken before h changes, so h updates in place
        a += xw[t]
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue                 # a masked step carries h over
            for j in range(u):
                h[b, j] = tanh(a[b, j])  # h' = tanh(xw + h·U)
        if keep_seq:
            copy_rows(seq[t], h)
    return seq, h


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def backward(U_T, mask, use_mask, h, d_seq, has_seq, dh_last, n_steps):
    """Returns dL/dxw (T, B, u) = dL/d(pre-activation) at every step reached."""
    T, B, u = h.shape[0] - 1, h.shape[1], h.shape[2]
    dxw = np.zeros((T, B, u), h.dtype)
    dh = dh_last.copy()
    for t in range(T - 1, T - 1 - n_steps, -1):
        if has_seq:
            dh += d_seq[t]
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue
            for j in range(u):
                dxw[t, b, j] = dh[b, j] * (1.0 - h[t + 1, b, j] ** 2)   # through tanh
        dh_prev = np.dot(dxw[t], U_T)
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(dh_prev[b], dh[b])
        dh = dh_prev
    return dxw
