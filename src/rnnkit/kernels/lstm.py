"""LSTM time loop, compiled: the equations of ``LSTMCell`` with Keras's gate order i, f, c, o."""

import numpy as np
from numba import njit

from .nonlinear import tanh
from .rows import copy_row, copy_rows


# Fast-math without the no-NaN/no-inf assumptions: a NaN must still reach TerminateOnNaN, and
# exp overflowing to inf must still give 1/(1 + inf) = 0. The rest (contraction, reassociation,
# approximate reciprocals) lets LLVM schedule and vectorize the gate arithmetic.
FASTMATH = {"contract", "reassoc", "arcp", "nsz", "afn"}
# Every loop also compiles with error_model="numpy": under numba's default ("python") each float
# division checks its divisor and raises ZeroDivisionError, and that branch alone keeps LLVM from
# vectorizing the gate pass (tanh's rational form divides): 2.2 → 0.25 ns an element here. No
# divisor in these loops can be zero (tanh's Q ≥ 1, σ's 1 + e^−x ≥ 1).


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def forward(xw, U, mask, use_mask, scale, alpha, beta):
    """xw (T, B, 4u) time-major, U (u, 4u), mask (T, B); (scale, alpha, beta) from
    ``gate_affine('ssts', u, dtype)``.

    Returns h (T+1, B, u) and c (T+1, B, u) — index 0 is the zero initial state — and, per step,
    the gate activations ``gates`` (T, B, 4u) = [σ(z_i), σ(z_f), tanh(z_c), σ(z_o)] and
    tanh(c') (T, B, u). Masked rows carry h and c over and leave zeros in the caches.
    """
    T, B, G = xw.shape
    h, c, gates, tanh_c, hU = _forward_buffers(T, B, G, xw.dtype)
    for t in range(T):
        _forward_step(xw[t], U, mask[t], use_mask, scale, alpha, beta, h, c, gates[t],
                      tanh_c[t], hU, t)
    return h, c, gates, tanh_c


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def forward_projected(x, W, U, mask, use_mask, scale, alpha, beta):
    """``forward`` from the inputs themselves: xw_t = x_t·W formed at each step into one
    (B, 4u) buffer (see ``infer_projected``); the same returns."""
    T, B, _ = x.shape
    G = W.shape[1]
    h, c, gates, tanh_c, hU = _forward_buffers(T, B, G, x.dtype)
    xw = np.empty((B, G), x.dtype)
    for t in range(T):
        np.dot(x[t], W, xw)
        _forward_step(xw, U, mask[t], use_mask, scale, alpha, beta, h, c, gates[t], tanh_c[t],
                      hU, t)
    return h, c, gates, tanh_c


@njit(inline="always")
def _forward_buffers(T, B, G, dtype):
    u = G // 4
    return (np.zeros((T + 1, B, u), dtype), np.zeros((T + 1, B, u), dtype),
            np.zeros((T, B, G), dtype), np.zeros((T, B, u), dtype), np.empty((B, G), dtype))


@njit(inline="always")
def _forward_step(xw_t, U, mask_t, use_mask, scale, alpha, beta, h, c, a, tanh_c_t, hU, t):
    """Step t of ``forward``: the gates ``a`` (B, 4u) from xw_t + h_t·U, then c_{t+1}, h_{t+1}
    and tanh(c_{t+1}); a masked row carries h and c over and leaves zeros."""
    B, G = a.shape
    u = G // 4
    np.dot(h[t], U, hU)
    for b in range(B):                   # one flat pass over z = xw + h·U: σ, except tanh on c̃
        for k in range(G):
            a[b, k] = alpha[k] * tanh(scale[k] * (xw_t[b, k] + hU[b, k])) + beta[k]
    for b in range(B):
        if use_mask and not mask_t[b]:
            copy_row(h[t + 1, b], h[t, b])
            copy_row(c[t + 1, b], c[t, b])
            a[b] = 0.0
            continue
        for j in range(u):
            i, f, g, o = a[b, j], a[b, u + j], a[b, 2 * u + j], a[b, 3 * u + j]
            c_new = f * c[t, b, j] + i * g                       # c' = f⊙c + i⊙g
            tc = tanh(c_new)
            c[t + 1, b, j] = c_new
            tanh_c_t[b, j] = tc
            h[t + 1, b, j] = o * tc                              # h' = o⊙tanh(c')


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def infer(xw, U, mask, use_mask, scale, alpha, beta, keep_seq):
    """``forward`` for inference: only the running h and c, no gates or tanh(c') kept.

    Returns seq (T, B, u), h after every step if ``keep_seq`` (else an empty (0, B, u)), and the
    final h and c (B, u). Same arithmetic in the same order as ``forward``, so the same numbers.
    """
    T, B, G = xw.shape
    seq, h, c, hU, a = _infer_buffers(T, B, G, keep_seq, xw.dtype)
    for t in range(T):
        _infer_step(xw[t], U, mask[t], use_mask, scale, alpha, beta, h, c, hU, a)
        if keep_seq:
            copy_rows(seq[t], h)
    return seq, h, c


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def infer_projected(x, W, U, mask, use_mask, scale, alpha, beta, keep_seq):
    """``infer`` from the inputs themselves: xw_t = x_t·W is formed at each step, into one
    (B, 4u) buffer, instead of read from an xw of every step made beforehand. For narrow
    inputs the whole xw (T·B·4u values) costs more memory traffic than the loop itself
    (kernels/dispatch.py: ``NARROW_INPUT``). ``x`` (T, B, F) in processing order, W (F, 4u);
    a bias rides in them as a column of ones and a row of W."""
    T, B, _ = x.shape
    G = W.shape[1]
    seq, h, c, hU, a = _infer_buffers(T, B, G, keep_seq, x.dtype)
    xw = np.empty((B, G), x.dtype)
    for t in range(T):
        np.dot(x[t], W, xw)
        _infer_step(xw, U, mask[t], use_mask, scale, alpha, beta, h, c, hU, a)
        if keep_seq:
            copy_rows(seq[t], h)
    return seq, h, c


@njit(inline="always")
def _infer_buffers(T, B, G, keep_seq, dtype):
    u = G // 4
    seq = np.empty((T if keep_seq else 0, B, u), dtype)
    return (seq, np.zeros((B, u), dtype), np.zeros((B, u), dtype), np.empty((B, G), dtype),
            np.empty((B, G), dtype))


@njit(inline="always")
def _infer_step(xw_t, U, mask_t, use_mask, scale, alpha, beta, h, c, hU, a):
    """One step on the running h and c, in place: the gates from xw_t + h·U, then c and h."""
    B, G = a.shape
    u = G // 4
    np.dot(h, U, hU)                     # taken before h changes, so h updates in place
    for b in range(B):                   # σ, except tanh on c̃ (see ``forward``)
        for k in range(G):
            a[b, k] = alpha[k] * tanh(scale[k] * (xw_t[b, k] + hU[b, k])) + beta[k]
    for b in range(B):
        if use_mask and not mask_t[b]:
            continue                     # a masked step carries h and c over
        for j in range(u):
            i, f, g, o = a[b, j], a[b, u + j], a[b, 2 * u + j], a[b, 3 * u + j]
            c_new = f * c[b, j] + i * g                          # c' = f⊙c + i⊙g
            c[b, j] = c_new
            h[b, j] = o * tanh(c_new)                            # h' = o⊙tanh(c')


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def backward(U_T, mask, use_mask, c, gates, tanh_c, d_seq, has_seq, dh_last, dc_last, n_steps):
    """BPTT over the last ``n_steps`` steps; returns dL/dxw (T, B, 4u) (zeros where not reached).

    ``U_T`` is Uᵀ (4u, u), contiguous. d_seq (T, B, u) is dL/d(output) per step if ``has_seq``;
    dh_last, dc_last (B, u) the gradients arriving at the final states.
    """
    T, B, G = gates.shape
    u = G // 4
    dxw = np.zeros((T, B, G), gates.dtype)
    dh = dh_last.copy()
    dc = dc_last.copy()
    for t in range(T - 1, T - 1 - n_steps, -1):
        if has_seq:
            dh += d_seq[t]
        dz = dxw[t]
        for b in range(B):
            if use_mask and not mask[t, b]:
                continue                                             # dh, dc pass through
            for j in range(u):
                i, f = gates[t, b, j], gates[t, b, u + j]
                g, o = gates[t, b, 2 * u + j], gates[t, b, 3 * u + j]
                tc = tanh_c[t, b, j]
                dc_j = dc[b, j] + dh[b, j] * o * (1.0 - tc * tc)     # both paths into c'
                dz[b, j] = dc_j * g * i * (1.0 - i)                  # dz_i
                dz[b, u + j] = dc_j * c[t, b, j] * f * (1.0 - f)     # dz_f
                dz[b, 2 * u + j] = dc_j * i * (1.0 - g * g)          # dz_c
                dz[b, 3 * u + j] = dh[b, j] * tc * o * (1.0 - o)     # dz_o
                dc[b, j] = dc_j * f                                  # dc_prev = dc⊙f
        dh_prev = np.dot(dz, U_T)                                    # dh_prev = dz·Uᵀ
        for b in range(B):
            if use_mask and not mask[t, b]:
                copy_row(dh_prev[b], dh[b])
        dh = dh_prev
    return dxw
