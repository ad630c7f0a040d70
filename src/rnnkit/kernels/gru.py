"""GRU time loops, compiled: the equations of ``GRUCell`` (Keras's gate order z, r, h), both forms."""

import numpy as np
from numba import njit

from .lstm import FASTMATH
from .nonlinear import sigmoid, tanh
from .rows import add_row, copy_row, copy_rows


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def forward_reset_after(xw, U, b_rec, mask, use_mask):
    """ĥ = tanh(xw_h + r⊙(h·U_h + b_rec,h)). xw (T, B, 3u) time-major, U (u, 3u), b_rec (3u,).

    Returns h (T+1, B, u), gates (T, B, 3u) = [z, r, ĥ] and rec_h (T, B, u) = h·U_h + b_rec,h.
    """
    T, B, G = xw.shape
    u = G // 3
    h = np.zeros((T + 1, B, u), xw.dtype)
    gates = np.zeros((T, B, G), xw.dtype)
    rec_h = np.zeros((T, B, u), xw.dtype)
    rec = np.empty((B, G), xw.dtype)
    for t in range(T):
        np.dot(h[t], U, rec)
        rec += b_rec
        a = gates[t]
        for b in range(B):                              # one flat pass for the σ gates z, r
            for k in range(2 * u):
                a[b, k] = sigmoid(xw[t, b, k] + rec[b, k])
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(h[t + 1, b], h[t, b])
                a[b] = 0.0
                continue
            for j in range(u):
                z, r = a[b, j], a[b, u + j]
                hh = tanh(xw[t, b, 2 * u + j] + r * rec[b, 2 * u + j])   # ĥ = tanh(xw_h + r⊙(hU_h + b))
                a[b, 2 * u + j] = hh
                rec_h[t, b, j] = rec[b, 2 * u + j]
                h[t + 1, b, j] = z * h[t, b, j] + (1.0 - z) * hh          # h' = z⊙h + (1−z)⊙ĥ
    return h, gates, rec_h


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def infer_reset_after(xw, U, b_rec, mask, use_mask, keep_seq):
    """``forward_reset_after`` for inference: only the running h. Returns seq (T, B, u), h after
    every step if ``keep_seq`` (else an empty (0, B, u)), and the final h (B, u)."""
    T, B, G = xw.shape
    u = G // 3
    seq = np.empty((T if keep_seq else 0, B, u), xw.dtype)
    h = np.zeros((B, u), xw.dtype)
    rec = np.empty((B, G), xw.dtype)
    zr = np.empty((B, 2 * u), xw.dtype)
    for t in range(T):
        np.dot(h, U, rec)                               # before h changes: h updates in place
        rec += b_rec
        for b in range(B):                              # one flat pass for the σ gates z, r
            for k in range(2 * u):
                zr[b, k] = sigmoid(xw[t, b, k] + rec[b, k])
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue                                # a masked step carries h over
            for j in range(u):
                z, r = zr[b, j], zr[b, u + j]
                hh = tanh(xw[t, b, 2 * u + j] + r * rec[b, 2 * u + j])  # ĥ = tanh(xw_h + r⊙(hU_h + b))
                h[b, j] = z * h[b, j] + (1.0 - z) * hh                   # h' = z⊙h + (1−z)⊙ĥ
        if keep_seq:
            copy_rows(seq[t], h)
    return seq, h


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def backward_reset_after(U_T, mask, use_mask, h, gates, rec_h, d_seq, has_seq, dh_last, n_steps):
    """Returns dL/dxw and dL/d(h·U + b_rec), both (T, B, 3u)."""
    T, B, G = gates.shape
    u = G // 3
    dxw = np.zeros((T, B, G), gates.dtype)
    d_rec = np.zeros((T, B, G), gates.dtype)
    dh = dh_last.copy()
    for t in range(T - 1, T - 1 - n_steps, -1):
        if has_seq:
            dh += d_seq[t]
        dh_direct = dh.copy()
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue
            for j in range(u):
                z, r, hh = gates[t, b, j], gates[t, b, u + j], gates[t, b, 2 * u + j]
                da_h = dh[b, j] * (1.0 - z) * (1.0 - hh * hh)
                da_z = dh[b, j] * (h[t, b, j] - hh) * z * (1.0 - z)
                da_r = da_h * rec_h[t, b, j] * r * (1.0 - r)
                dxw[t, b, j], dxw[t, b, u + j], dxw[t, b, 2 * u + j] = da_z, da_r, da_h
                d_rec[t, b, j], d_rec[t, b, u + j] = da_z, da_r
                d_rec[t, b, 2 * u + j] = da_h * r
                dh_direct[b, j] = dh[b, j] * z
        dh_prev = np.dot(d_rec[t], U_T)
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(dh_prev[b], dh[b])
            else:
                add_row(dh_prev[b], dh_direct[b])
        dh = dh_prev
    return dxw, d_rec


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def forward_reset_before(xw, U, mask, use_mask):
    """ĥ = tanh(xw_h + (r⊙h)·U_h). Returns h (T+1, B, u), gates [z, r, ĥ], rh = r⊙h (T, B, u)."""
    T, B, G = xw.shape
    u = G // 3
    U_zr = np.ascontiguousarray(U[:, :2 * u])
    U_h = np.ascontiguousarray(U[:, 2 * u:])
    h = np.zeros((T + 1, B, u), xw.dtype)
    gates = np.zeros((T, B, G), xw.dtype)
    rh = np.zeros((T, B, u), xw.dtype)
    for t in range(T):
        rec_zr = np.dot(h[t], U_zr)
        for b in range(B):
            for j in range(u):
                r = sigmoid(xw[t, b, u + j] + rec_zr[b, u + j])
                gates[t, b, u + j] = r
                rh[t, b, j] = r * h[t, b, j]
        rec_h = np.dot(rh[t], U_h)
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(h[t + 1, b], h[t, b])
                gates[t, b] = 0.0
                rh[t, b] = 0.0
                continue
            for j in range(u):
                z = sigmoid(xw[t, b, j] + rec_zr[b, j])
                hh = tanh(xw[t, b, 2 * u + j] + rec_h[b, j])
                gates[t, b, j], gates[t, b, 2 * u + j] = z, hh
                h[t + 1, b, j] = z * h[t, b, j] + (1.0 - z) * hh
    return h, gates, rh


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def infer_reset_before(xw, U, mask, use_mask, keep_seq):
    """``forward_reset_before`` for inference: only the running h. Returns seq (T, B, u), h after
    every step if ``keep_seq`` (else an empty (0, B, u)), and the final h (B, u)."""
    T, B, G = xw.shape
    u = G // 3
    U_zr = np.ascontiguousarray(U[:, :2 * u])
    U_h = np.ascontiguousarray(U[:, 2 * u:])
    seq = np.empty((T if keep_seq else 0, B, u), xw.dtype)
    h = np.zeros((B, u), xw.dtype)
    rec_zr = np.empty((B, 2 * u), xw.dtype)
    rh = np.empty((B, u), xw.dtype)
    rec_h = np.empty((B, u), xw.dtype)
    for t in range(T):
        np.dot(h, U_zr, rec_zr)
        for b in range(B):
            for j in range(u):
                r = sigmoid(xw[t, b, u + j] + rec_zr[b, u + j])
                rh[b, j] = r * h[b, j]
        np.dot(rh, U_h, rec_h)                                       # (r⊙h)·U_h
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue                                             # a masked step carries h over
            for j in range(u):
                z = sigmoid(xw[t, b, j] + rec_zr[b, j])
                hh = tanh(xw[t, b, 2 * u + j] + rec_h[b, j])        # ĥ = tanh(xw_h + (r⊙h)·U_h)
                h[b, j] = z * h[b, j] + (1.0 - z) * hh              # h' = z⊙h + (1−z)⊙ĥ
        if keep_seq:
            copy_rows(seq[t], h)
    return seq, h


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def backward_reset_before(U, mask, use_mask, h, gates, d_seq, has_seq, dh_last, n_steps):
    """Returns dL/dxw (T, B, 3u); dL/dU follows from it (see ``recurrent_kernel_grad``)."""
    T, B, G = gates.shape
    u = G // 3
    U_zr_T = np.ascontiguousarray(U[:, :2 * u].T)
    U_h_T = np.ascontiguousarray(U[:, 2 * u:].T)
    dxw = np.zeros((T, B, G), gates.dtype)
    dh = dh_last.copy()
    for t in range(T - 1, T - 1 - n_steps, -1):
        if has_seq:
            dh += d_seq[t]
        da_h = np.zeros((B, u), gates.dtype)
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue
            for j in range(u):
                z, hh = gates[t, b, j], gates[t, b, 2 * u + j]
                da_h[b, j] = dh[b, j] * (1.0 - z) * (1.0 - hh * hh)
                dxw[t, b, j] = dh[b, j] * (h[t, b, j] - hh) * z * (1.0 - z)
                dxw[t, b, 2 * u + j] = da_h[b, j]
        d_rh = np.dot(da_h, U_h_T)                                   # through (r⊙h)·U_h
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue
            for j in range(u):
                r = gates[t, b, u + j]
                dxw[t, b, u + j] = d_rh[b, j] * h[t, b, j] * r * (1.0 - r)
        dh_prev = np.dot(np.ascontiguousarray(dxw[t, :, :2 * u]), U_zr_T)
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(dh_prev[b], dh[b])
                continue
            for j in range(u):
                dh_prev[b, j] += dh[b, j] * gates[t, b, j] + d_rh[b, j] * gates[t, b, u + j]
        dh = dh_prev
    return dxw
