"""A cell's compiled time loop: the ``CompiledLoop`` a cell class declares as ``compiled``.

The recurrent driver asks the cell, never a table of cell types: ``cell.compiled`` is the
compiled loop of exactly that cell class (a subclass that changes the math does not inherit
it: see ``CompiledLoop.__set_name__``), or None.

Two forward loops per cell:

* ``forward`` (training) returns the states after every step, h_all (T+1, B, u) with
  h_all[0] = 0, the final states, and a ``LoopCache`` (``LSTMCache``, ``GRUCache``) holding what
  ``backward`` reads; ``backward(cell, cache, d_seq, d_final, n_steps, grads)`` returns dL/dxw
  (T, B, k·u) and adds the recurrent gradients into ``grads`` (the cell's ``RecurrentGrads``),
  exactly as the reference ``step_backward`` calls would have;
* ``infer`` (inference) keeps only the running states, and the outputs of every step only when
  the layer returns sequences: no per-step record, so far less memory traffic.

Nothing here keeps state between calls: caches and gradients live in the objects passed in and
out, so concurrent passes through one cell never meet. Everything here is time-major. This
module imports without numba (and without the layers); only the compiled modules (gru, lstm,
simple_rnn, imported by ``load``) need numba.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import load, recurrent_kernel_grad  # noqa: F401  (``dispatch.load`` for the driver)


def gate_affine(blocks: str, units: int, dtype):
    """(s, α, β) per gate column for a = α·tanh(s·z) + β (see nonlinear.py); ``blocks`` has one
    letter per gate block, 's' for σ and 't' for tanh: 'ssts' for the LSTM's i, f, c, o."""
    per = {"s": (0.5, 0.5, 0.5), "t": (1.0, 1.0, 0.0)}
    cols = np.array([per[b] for b in blocks for _ in range(units)], dtype=dtype)
    return (np.ascontiguousarray(cols[:, 0]), np.ascontiguousarray(cols[:, 1]),
            np.ascontiguousarray(cols[:, 2]))


#: The LSTM's gate blocks i, f, c̃, o for ``gate_affine``: σ, σ, tanh, σ (both loops read it).
LSTM_GATE_BLOCKS = "ssts"


@dataclass
class LoopCache:
    """What every compiled backward reads: the step mask and h_all (T+1, B, u)."""

    mask: np.ndarray            # (T, B) bool; all True when the layer had no mask
    use_mask: bool
    h: np.ndarray


@dataclass
class LSTMCache(LoopCache):
    c: np.ndarray               # cell states (T+1, B, u)
    gates: np.ndarray           # i, f, c̃, o after their activations (T, B, 4u)
    tanh_c: np.ndarray          # tanh(c_t) (T, B, u)


@dataclass
class GRUCache(LoopCache):
    gates: np.ndarray           # z, r, h̃ after their activations (T, B, 3u)
    recurrent: np.ndarray       # reset_after: U·h + b_rec (T, B, 3u); before: r ⊙ h (T, B, u)


class CompiledLoop:
    """The compiled forward and backward time loops of one cell class.

    Assigned in a cell class body (``compiled = LSTMLoop()``), it records that class and
    serves only cells of exactly that type: a subclass that overrides ``step`` would otherwise
    inherit a loop computing its parent's math.
    """

    owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner

    def __get__(self, cell, owner=None):
        return self if owner is self.owner else None

    def supports(self, cell, recurrent_dropout_on: bool) -> bool:
        """Compiled loops cover the default activation (tanh) without recurrent dropout."""
        return not recurrent_dropout_on and cell.activation.name == "tanh"

    def forward(self, cell, xw: np.ndarray, mask):  # pragma: no cover - interface
        """(h_all (T+1, B, u), final states, LoopCache) for training."""
        raise NotImplementedError

    def infer(self, cell, xw: np.ndarray, mask, keep_sequence: bool):  # pragma: no cover
        """(h after every step (T, B, u) if ``keep_sequence`` else None, final states)."""
        raise NotImplementedError

    def backward(self, cell, cache, d_seq, d_final, n_steps, grads):  # pragma: no cover
        """dL/dxw (T, B, k·u); adds dL/dU (and dL/db_rec) into ``grads``."""
        raise NotImplementedError

    def forward_rows(self, cell, xw, rows: slice, mask):
        """``forward`` on batch rows ``rows`` of ``xw``, an ``InputProjection``, as
        ``infer_rows`` is ``infer``'s."""
        return self.forward(cell, xw.rows(rows), mask)

    def infer_rows(self, cell, xw, rows: slice, mask, keep_sequence: bool):
        """``infer`` on batch rows ``rows`` of ``xw``, an ``InputProjection`` (the layer's
        x·W + b, made on demand): by default its product for those rows, then ``infer``. A loop
        that can form xw_t step by step overrides this for narrow inputs."""
        return self.infer(cell, xw.rows(rows), mask, keep_sequence)


def _mask_args(mask, time, batch):
    if mask is None:
        return np.ones((time, batch), np.bool_), False
    return np.ascontiguousarray(mask), True


def _sequence(seq, keep_sequence):
    """The infer kernels return an empty (0, B, u) sequence when it is not kept."""
    return seq if keep_sequence else None


def _prepared(cache: LoopCache, d_seq, d_final):
    """(d_seq or a placeholder, has_seq, d_final) as the compiled backward loops take them."""
    dtype = cache.h.dtype
    has_seq = d_seq is not None
    d_seq = np.ascontiguousarray(d_seq, dtype) if has_seq else np.zeros((1, 1, 1), dtype)
    return d_seq, has_seq, [np.ascontiguousarray(d, dtype) for d in d_final]


class SimpleRNNLoop(CompiledLoop):
    """h_t = tanh(xw_t + h_{t−1}·U)."""

    def forward(self, cell, xw, mask):
        from . import simple_rnn
        xw = np.ascontiguousarray(xw)
        m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
        h = simple_rnn.forward(xw, cell.recurrent_kernel, m, use_mask)
        return h, (h[-1],), LoopCache(m, use_mask, h)

    def infer(self, cell, xw, mask, keep_sequence):
        from . import simple_rnn
        xw = np.ascontiguousarray(xw)
        m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
        seq, h = simple_rnn.infer(xw, cell.recurrent_kernel, m, use_mask, keep_sequence)
        return _sequence(seq, keep_sequence), (h,)

    def backward(self, cell, cache, d_seq, d_final, n_steps, grads):
        from . import simple_rnn
        d_seq, has_seq, d_final = _prepared(cache, d_seq, d_final)
        U_T = np.ascontiguousarray(cell.recurrent_kernel.T)
        dxw = simple_rnn.backward(U_T, cache.mask, cache.use_mask, cache.h, d_seq, has_seq,
                                  d_final[0], n_steps)
        grads.recurrent += recurrent_kernel_grad(cache.h[:-1], dxw)
        return dxw


class _GatedLoop(CompiledLoop):
    def supports(self, cell, recurrent_dropout_on):  # and σ gates, which the loops hard-code
        return (super().supports(cell, recurrent_dropout_on)
                and cell.recurrent_activation.name == "sigmoid")


#: Inputs at most this wide are projected step by step inside the loops (``forward_rows``,
#: ``infer_rows``): writing then reading xw for every step costs more than the loop for narrow
#: x. Measured, one thread, an LSTM's inference loop with its projection, T = 300–500:
#: F = 2, u = 32, B = 64: 7.5 → 4.3 ms; F = 128, u = 64, B = 32: 11.7 → 9.8 ms; but F = 256,
#: u = 128, B = 16: 23.7 → 27.0 ms.
NARROW_INPUT = 128


def _narrow(xw) -> bool:
    """Whether the loop should form x_t·W itself (``NARROW_INPUT``)."""
    return xw.x.shape[-1] <= NARROW_INPUT


def _projected_args(cell, xw, rows, mask, blocks: str) -> tuple:
    """(x̂, Ŵ, U, mask, use_mask, s, α, β): what a loop projecting step by step takes, for
    batch rows ``rows`` of the ``InputProjection`` ``xw``."""
    x_steps, weights = xw.operands(rows)
    m, use_mask = _mask_args(mask, x_steps.shape[0], x_steps.shape[1])
    return (x_steps, weights, cell.recurrent_kernel, m, use_mask,
            *gate_affine(blocks, cell.units, x_steps.dtype))


class LSTMLoop(_GatedLoop):
    """i, f, c̃, o from xw_t + h_{t−1}·U; c_t = f ⊙ c_{t−1} + i ⊙ c̃; h_t = o ⊙ tanh(c_t)."""

    def forward_rows(self, cell, xw, rows, mask):
        if not _narrow(xw):
            return super().forward_rows(cell, xw, rows, mask)
        from . import lstm
        args = _projected_args(cell, xw, rows, mask, LSTM_GATE_BLOCKS)
        h, c, gates, tanh_c = lstm.forward_projected(*args)
        return h, (h[-1], c[-1]), LSTMCache(args[3], args[4], h, c, gates, tanh_c)

    def infer_rows(self, cell, xw, rows, mask, keep_sequence):
        if not _narrow(xw):
            return super().infer_rows(cell, xw, rows, mask, keep_sequence)
        from . import lstm
        seq, h, c = lstm.infer_projected(*_projected_args(cell, xw, rows, mask,
                                                          LSTM_GATE_BLOCKS), keep_sequence)
        return _sequence(seq, keep_sequence), (h, c)

    def forward(self, cell, xw, mask):
        from . import lstm
        xw = np.ascontiguousarray(xw)
        m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
        h, c, gates, tanh_c = lstm.forward(xw, cell.recurrent_kernel, m, use_mask,
                                           *gate_affine(LSTM_GATE_BLOCKS, cell.units, xw.dtype))
        return h, (h[-1], c[-1]), LSTMCache(m, use_mask, h, c, gates, tanh_c)

    def infer(self, cell, xw, mask, keep_sequence):
        from . import lstm
        xw = np.ascontiguousarray(xw)
        m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
        seq, h, c = lstm.infer(xw, cell.recurrent_kernel, m, use_mask,
                               *gate_affine(LSTM_GATE_BLOCKS, cell.units, xw.dtype), keep_sequence)
        return _sequence(seq, keep_sequence), (h, c)

    def backward(self, cell, cache, d_seq, d_final, n_steps, grads):
        from . import lstm
        d_seq, has_seq, d_final = _prepared(cache, d_seq, d_final)
        U_T = np.ascontiguousarray(cell.recurrent_kernel.T)
        dxw = lstm.backward(U_T, cache.mask, cache.use_mask, cache.c, cache.gates, cache.tanh_c,
                            d_seq, has_seq, d_final[0], d_final[1], n_steps)
        grads.recurrent += recurrent_kernel_grad(cache.h[:-1], dxw)
        return dxw


class GRULoop(_GatedLoop):
    """z, r, h̃ with the reset gate after (Keras 3, cuDNN) or before the recurrent product."""

    def forward(self, cell, xw, mask):
        from . import gru
        xw = np.ascontiguousarray(xw)
        m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
        U = cell.recurrent_kernel
        if cell.reset_after:
            h, gates, recurrent = gru.forward_reset_after(xw, U, _recurrent_bias(cell), m,
                                                          use_mask)
        else:
            h, gates, recurrent = gru.forward_reset_before(xw, U, m, use_mask)
        return h, (h[-1],), GRUCache(m, use_mask, h, gates, recurrent)

    def infer(self, cell, xw, mask, keep_sequence):
        from . import gru
        xw = np.ascontiguousarray(xw)
        m, use_mask = _mask_args(mask, xw.shape[0], xw.shape[1])
        U = cell.recurrent_kernel
        if cell.reset_after:
            seq, h = gru.infer_reset_after(xw, U, _recurrent_bias(cell), m, use_mask,
                                           keep_sequence)
        else:
            seq, h = gru.infer_reset_before(xw, U, m, use_mask, keep_sequence)
        return _sequence(seq, keep_sequence), (h,)

    def backward(self, cell, cache, d_seq, d_final, n_steps, grads):
        from . import gru
        d_seq, has_seq, d_final = _prepared(cache, d_seq, d_final)
        U, h_in = cell.recurrent_kernel, cache.h[:-1]
        if cell.reset_after:
            dxw, d_rec = gru.backward_reset_after(
                np.ascontiguousarray(U.T), cache.mask, cache.use_mask, cache.h, cache.gates,
                cache.recurrent, d_seq, has_seq, d_final[0], n_steps)
            grads.recurrent += recurrent_kernel_grad(h_in, d_rec)
            if cell.use_bias:
                grads.recurrent_bias += d_rec.sum(axis=(0, 1))             # db_rec = Σ d_rec
            return dxw
        u = cell.units
        dxw = gru.backward_reset_before(U, cache.mask, cache.use_mask, cache.h, cache.gates,
                                        d_seq, has_seq, d_final[0], n_steps)
        # z and r read h_{t−1}; the candidate reads r ⊙ h_{t−1}
        grads.recurrent += np.concatenate(
            [recurrent_kernel_grad(h_in, dxw[..., :2 * u]),
             recurrent_kernel_grad(cache.recurrent, dxw[..., 2 * u:])], axis=1)
        return dxw


def _recurrent_bias(cell):
    """GRU reset_after's b_rec (bias row 1), zeros without a bias."""
    U = cell.recurrent_kernel
    return cell.bias[1] if cell.use_bias else np.zeros(U.shape[1], U.dtype)
