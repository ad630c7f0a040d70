"""A compiled time loop run on two halves of the batch (``rnnkit.parallel`` runs them side by
side when two threads are allowed).

The rows of a batch never meet inside a recurrent loop: each half's loop is the whole loop's
restricted to its rows. The halves are cut by shape alone (``rows``) — never by the thread
count — and combined in a fixed order, so one thread and two give the same bits. The recurrent
weight gradient dU (and GRU's db_rec) is summed per half inside the half's thread, then the two
sums are added, first half first. Each half projects its own rows, x·W + b, in its thread
(``InputProjection.rows``, recurrent.py); the products dW = xᵀ·dxw and dx = dxw·Wᵀ stay whole.

Small loops stay whole: waking a second thread costs tens of µs (far more on a loaded machine),
more than a loop of a few hundred µs saves.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .. import parallel
from .dispatch import LoopCache

#: A loop is cut in two only when each half keeps at least this many rows, and each half's
#: recurrent products have at least ``parallel.MIN_WORK`` multiply-adds (T·B/2·u·k·u).
MIN_ROWS = 8


def rows(batch: int, time: int, units: int, width: int) -> list[slice]:
    """The pieces of the batch the loop runs as (one or two); by shape alone."""
    if batch < 2 * MIN_ROWS or time * (batch // 2) * units * width < parallel.MIN_WORK:
        return [slice(0, batch)]
    half = (batch + 1) // 2
    return [slice(0, half), slice(half, batch)]


@dataclass
class SplitCache:
    """One ``LoopCache`` per piece of the batch (``rows``)."""

    rows: list
    pieces: list


def _mask_rows(step_mask, r):
    """The (batch, time, 1) step mask's rows ``r`` as the loops take it: (time, rows), or None."""
    return None if step_mask is None else step_mask[r, :, 0].T


def forward(loop, cell, xw, step_mask, pieces, keep_sequence):
    """The training loop on each piece: (h after every step (B, T, u) if ``keep_sequence``,
    final states, SplitCache). ``xw`` (an ``InputProjection``: (T, B, k·u)) and ``step_mask``
    in processing order."""
    time, batch = xw.shape[:2]
    seq = np.empty((batch, time, cell.units), xw.dtype) if keep_sequence else None

    def piece(r):
        h_all, states, cache = loop.forward_rows(cell, xw, r, _mask_rows(step_mask, r))
        if seq is not None:
            seq[r] = h_all[1:].transpose(1, 0, 2)
        return states, cache

    done = parallel.run([lambda r=r: piece(r) for r in pieces])
    states = tuple(np.concatenate(s, axis=0) for s in zip(*(d[0] for d in done)))
    return seq, states, SplitCache(pieces, [d[1] for d in done])


def infer(loop, cell, xw, step_mask, pieces, keep_sequence):
    """The inference loop on each piece: (h after every step (B, T, u) or None, final states).
    ``xw`` (an ``InputProjection``: (T, B, k·u)) in processing order."""
    time, batch = xw.shape[:2]
    seq = np.empty((batch, time, cell.units), xw.dtype) if keep_sequence else None

    def piece(r):
        seq_r, states = loop.infer_rows(cell, xw, r, _mask_rows(step_mask, r), keep_sequence)
        if seq is not None:
            seq[r] = seq_r.transpose(1, 0, 2)
        return states

    done = parallel.run([lambda r=r: piece(r) for r in pieces])
    return seq, tuple(np.concatenate(s, axis=0) for s in zip(*done))


def backward(loop, cell, cache: SplitCache, d_seq, d_final, n_steps, rec_grads):
    """dL/dxw (B, T, k·u) in processing order, contiguous; adds each piece's recurrent
    gradients into ``rec_grads``, first piece first. ``d_seq`` (B, T, u) or None."""
    h = cache.pieces[0].h                                       # (T+1, rows, u)
    batch = sum(r.stop - r.start for r in cache.rows)
    dxw = np.empty((batch, h.shape[0] - 1, cell.kernel.shape[1]), h.dtype)

    def piece(r, loop_cache: LoopCache):
        grads = cell.start_backward()
        d_seq_r = None if d_seq is None else d_seq[r].transpose(1, 0, 2)
        dxw[r] = loop.backward(cell, loop_cache, d_seq_r, [d[r] for d in d_final], n_steps,
                               grads).transpose(1, 0, 2)
        return grads

    for grads in parallel.run([lambda r=r, c=c: piece(r, c)
                               for r, c in zip(cache.rows, cache.pieces)]):
        for field in fields(grads):
            part = getattr(grads, field.name)
            if part is not None:
                getattr(rec_grads, field.name)[...] += part
    return dxw
