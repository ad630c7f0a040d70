"""Glue between the recurrent driver and the compiled loops: which cells, and their caches.

``forward`` returns the states after every step, h_all (T+1, B, u) with h_all[0] = 0, the final
states, and an opaque cache; ``backward`` returns dL/dxw (T, B, k·u) and sets the cell's
recurrent gradients, exactly as the reference ``step_backward`` calls would have.
Everything here is time-major.
"""

from __future__ import annotations

import numpy as np

from ..layers.cells import GRUCell, LSTMCell, SimpleRNNCell
# This module imports without numba; only the compiled modules (gru, lstm, simple_rnn, imported
# by ``load``, which the recurrent driver calls as ``dispatch.load``) need it.
from . import load, recurrent_kernel_grad  # noqa: F401


def supports(cell, recurrent_dropout_on: bool) -> bool:
    """Kernels cover the default activations without recurrent dropout."""
    return (type(cell) in (SimpleRNNCell, LSTMCell, GRUCell)
            and not recurrent_dropout_on
            and cell.activation.name == "tanh"
            and (isinstance(cell, SimpleRNNCell) or cell.recurrent_activation.name == "sigmoid"))


def _mask_args(mask, time, batch):
    if mask is None:
        return np.ones((time, batch), np.bool_), False
    return np.ascontiguousarray(mask), True


def gate_affine(blocks: str, units: int, dtype):
    """(s, α, β) per gate column for a = α·tanh(s·z) + β (see nonlinear.py); ``blocks`` has one
    letter per gate block, 's' for σ and 't' for tanh: 'ssts' for the LSTM's i, f, c, o."""
    per = {"s": (0.5, 0.5, 0.5), "t": (1.0, 1.0, 0.0)}
    cols = np.array([per[b] for b in blocks for _ in range(units)], dtype=dtype)
    return (np.ascontiguousarray(cols[:, 0]), np.ascontiguousarray(cols[:, 1]),
            np.ascontiguousarray(cols[:, 2]))


def forward(cell, xw, mask):
    """xw (T, B, k·u) time-major, mask (T, B) or None → (h_all, final states, cache)."""
    from . import gru, lstm, simple_rnn

    xw = np.ascontiguousarray(xw)
    m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
    U = cell.recurrent_kernel
    if isinstance(cell, LSTMCell):
        h, c, gates, tanh_c = lstm.forward(xw, U, m, use_mask,
                                           *gate_affine("ssts", cell.units, xw.dtype))
        return h, (h[-1], c[-1]), (m, use_mask, h, c, gates, tanh_c)
    if isinstance(cell, GRUCell) and cell.reset_after:
        b_rec = cell.bias[1] if cell.use_bias else np.zeros(U.shape[1], U.dtype)
        h, gates, rec_h = gru.forward_reset_after(xw, U, b_rec, m, use_mask)
        return h, (h[-1],), (m, use_mask, h, gates, rec_h)
    if isinstance(cell, GRUCell):
        h, gates, rh = gru.forward_reset_before(xw, U, m, use_mask)
        return h, (h[-1],), (m, use_mask, h, gates, rh)
    h = simple_rnn.forward(xw, U, m, use_mask)
    return h, (h[-1],), (m, use_mask, h)


def backward(cell, cache, d_seq, d_final, n_steps):
    """dL/dxw (T, B, k·u) from dL/d(outputs) d_seq (T, B, u) or None and dL/d(final states)."""
    from . import gru, lstm, simple_rnn

    m, use_mask, h = cache[:3]
    has_seq = d_seq is not None
    d_seq = np.ascontiguousarray(d_seq, h.dtype) if has_seq else np.zeros((1, 1, 1), h.dtype)
    d_final = [np.ascontiguousarray(d, h.dtype) for d in d_final]
    U = cell.recurrent_kernel
    U_T = np.ascontiguousarray(U.T)
    h_in = h[:-1]                                   # the state each step read
    if isinstance(cell, LSTMCell):
        _, _, _, c, gates, tanh_c = cache
        dxw = lstm.backward(U_T, m, use_mask, c, gates, tanh_c, d_seq, has_seq,
                            d_final[0], d_final[1], n_steps)
        cell.d_recurrent = recurrent_kernel_grad(h_in, dxw)
        return dxw
    if isinstance(cell, GRUCell) and cell.reset_after:
        _, _, _, gates, rec_h = cache
        dxw, d_rec = gru.backward_reset_after(U_T, m, use_mask, h, gates, rec_h, d_seq, has_seq,
                                              d_final[0], n_steps)
        cell.d_recurrent = recurrent_kernel_grad(h_in, d_rec)
        if cell.use_bias:
            cell.d_recurrent_bias = d_rec.sum(axis=(0, 1))
        return dxw
    if isinstance(cell, GRUCell):
        _, _, _, gates, rh = cache
        u = cell.units
        dxw = gru.backward_reset_before(U, m, use_mask, h, gates, d_seq, has_seq, d_final[0],
                                        n_steps)
        cell.d_recurrent = np.concatenate(
            [recurrent_kernel_grad(h_in, dxw[..., :2 * u]),
             recurrent_kernel_grad(rh, dxw[..., 2 * u:])], axis=1)
        return dxw
    dxw = simple_rnn.backward(U_T, m, use_mask, h, d_seq, has_seq, d_final[0], n_steps)
    cell.d_recurrent = recurrent_kernel_grad(h_in, dxw)
    return dxw
