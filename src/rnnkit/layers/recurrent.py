"""The recurrent driver: a cell run over time, forward and back (BPTT).

The driver owns everything that is about *time* rather than about one step:
per-sequence dropout masks, the input projection xw = x·W + b for all steps in one matrix
product, the step loop (reversed for ``go_backwards``), Keras's masking (a masked step carries
the states over and repeats the previous output), ``return_sequences`` / ``return_state``, and
backpropagation through time: full, or truncated so that each output's gradient reaches back
``bptt_truncate`` steps.

``forward`` computes the outputs only (compiled: the ``infer`` loops, which keep no per-step
record); ``forward_train`` also returns an ``RNNCache`` and ``backward(dy, cache)`` returns
(dL/dx, weight gradients). Nothing is ever stored on the layer or its cell, so one layer can run
in many threads at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import kernels, parallel
from ..blas import single_blas_thread
from ..keras_options import KerasOptions
from ..kernels import dispatch, split
from ..kernels.dispatch import LoopCache
from .base import Layer, check_fraction, check_positive_int
from .cells import (
    GRUCell,
    LSTMCell,
    RecurrentCell,
    RecurrentGrads,
    SimpleRNNCell,
    cell_class,
)

# Keras options about how a backend runs the loop (any value means the same here), and Keras
# features rnnkit does not have (accepted only when off, as Keras configs write them).
_KERAS_ONLY = KerasOptions(ignored=frozenset({"unroll", "implementation", "use_cudnn"}),
                           defaults={"time_major": False, "stateful": False}, none_is_off=True)


def _ids_hint(shape) -> str:
    if len(shape) == 2:
        return "; token ids need an Embedding layer first (or one-hot encode them)"
    return ""


def _check_cell(cell, owner: str) -> RecurrentCell:
    """``cell`` if it follows the cell protocol, else a one-line error naming what it lacks."""
    if not isinstance(cell, RecurrentCell):
        raise TypeError(f"{owner} expects a cell derived from rnnkit.layers.RecurrentCell "
                        f"(weights, states, step and step_backward), got {cell!r}")
    missing = cell.missing_methods()
    if missing:
        raise TypeError(f"{owner}: cell {type(cell).__name__} lacks {', '.join(missing)} "
                        f"(docs/architecture.md, 'Adding a cell')")
    return cell


def _probe_step(cell: RecurrentCell, dtype) -> None:
    """One step on zeros, right after the cell builds its weights: a step that does not fit them
    (``n_gates`` left at 1 while step reads two blocks of xw_t, say) is said in one line here,
    not as a NumPy broadcast error in the middle of training."""
    name = type(cell).__name__
    xw = np.zeros((1, cell.kernel.shape[1]), dtype)
    try:
        states, _ = cell.step(xw, cell.zero_states(1, dtype))
    except (ValueError, IndexError) as e:
        shapes = ", ".join(f"{n} {tuple(w.shape)}" for n, w in zip(cell.weight_names,
                                                                    cell.params()))
        raise ValueError(f"cell {name}: step fails on its own weights ({shapes}; n_gates = "
                         f"{cell.n_gates}): {str(e).strip()}. n_gates must be the number of units-wide "
                         f"blocks step reads from xw_t (docs/architecture.md, 'The cell "
                         f"protocol')") from e
    want = (1, cell.units)
    if len(states) != len(cell.state_names) or any(np.shape(s) != want for s in states):
        raise ValueError(f"cell {name}: step returned states of shapes "
                         f"{[np.shape(s) for s in states]} for a batch of 1; state_names "
                         f"{cell.state_names} asks for {len(cell.state_names)} of {want}")


def _in_order_sum(parts):
    """Σ parts, first first (a fixed order: the same bits whichever thread made each part)."""
    parts = iter(parts)
    total = next(parts)
    for part in parts:
        total = total + part
    return total


def _time_major(step_mask):
    """The (batch, time, 1) step mask as the compiled loops take it: (time, batch), or None."""
    return None if step_mask is None else step_mask[:, :, 0].T


@dataclass
class _Pass:
    """One forward pass's inputs after the checks: what both forward loops start from."""

    x_in: np.ndarray                 # x after input dropout
    in_mask: np.ndarray | None       # input dropout mask (batch, features), scaled
    step: int                        # +1, or −1 with go_backwards: processing order = [::step]
    step_mask: np.ndarray | None     # Keras's mask in processing order (batch, time, 1)
    rec_masks: np.ndarray | None     # recurrent dropout masks (k, batch, u), scaled
    compiled: bool                   # whether the compiled loops run


@dataclass(frozen=True)
class InputProjection:
    """xw = x·W + b for every step, time-major in processing order, (time, batch, k·u): made
    on demand for rows of the batch (``rows``), in one product per piece.

    A loop split over the batch (kernels/split.py) projects each piece's rows in the piece's
    own thread, so the product runs on both cores and each piece's xw comes out contiguous: a
    piece cut from one whole xw had to be copied before its loop (T·rows·k·u values; for W5,
    LSTM(32) over 2-wide embeddings, T = 500, B = 128, 32 MB a pass, more than the loop)."""

    x: np.ndarray                    # the inputs after dropout (batch, time, features)
    step: int                        # +1, or −1 with go_backwards
    kernel: np.ndarray               # W (features, k·u)
    bias: np.ndarray | None          # the input bias (k·u,), or None

    @property
    def shape(self) -> tuple[int, int, int]:
        batch, time, _ = self.x.shape
        return time, batch, self.kernel.shape[1]

    @property
    def dtype(self):
        return self.x.dtype

    def rows(self, r: slice = slice(None)) -> np.ndarray:
        """xw for batch rows ``r``, (time, rows, k·u), contiguous, in one product of the
        ``operands``."""
        x_steps, weights = self.operands(r)
        xw = x_steps.reshape(-1, x_steps.shape[-1]) @ weights
        return xw.reshape(x_steps.shape[0], x_steps.shape[1], -1)

    def operands(self, r: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """(x̂, Ŵ) with x̂·Ŵ = xw for batch rows ``r``: x̂ (time, rows, F or F + 1) contiguous,
        time-major in processing order (x is reordered, being F wide where xw is k·u wide).

        The bias rides in them as a column of ones against a row b under W — [x 1]·[W; b] =
        x·W + b — so xw is written once instead of written, then read and written again by
        ``xw += b`` (W5: 2.3 → 1.1 ms for half a batch)."""
        x = self.x[r].transpose(1, 0, 2)[::self.step]
        if self.bias is None:
            return np.ascontiguousarray(x), self.kernel
        x_steps = np.empty(x.shape[:2] + (x.shape[2] + 1,), self.x.dtype)
        x_steps[..., :-1], x_steps[..., -1] = x, 1
        return x_steps, np.vstack([self.kernel, self.bias])


@dataclass
class StepsRun:
    """The reference loop's record: one cell step cache per step, in processing order, and —
    for a ``forward_train(..., reference=True)`` pass — the states after every step (as the
    next step reads them: a masked row's carried over), which the per-step views read."""

    caches: list
    states: list | None = None


@dataclass
class RNNCache:
    """What ``RNN.backward`` reads from ``forward_train``: the inputs after dropout, the masks,
    and the loop's record — ``StepsRun`` (reference loop) or the compiled loop's ``LoopCache``."""

    x_in: np.ndarray
    in_mask: np.ndarray | None
    step: int
    step_mask: np.ndarray | None
    run: StepsRun | LoopCache | split.SplitCache


@dataclass
class _StepWalk:
    """The reference BPTT's working set for one backward pass: the step caches, the mask, the
    cell's recurrent-gradient sums and dL/dxw being filled (batch, time, k·u)."""

    cell: RecurrentCell
    caches: list
    step_mask: np.ndarray | None
    rec_grads: RecurrentGrads
    dxw: np.ndarray
    record: list | None = None       # (s, dL/d(states after step s)) as the walk visits them

    def back(self, s, d_states):
        """One step back: masked rows pass their gradient to step s−1 untouched."""
        if self.record is not None:
            self.record.append((s, tuple(d_states)))
        cache = self.caches[s]
        if self.step_mask is None:
            dxw_s, d_prev = self.cell.step_backward(d_states, cache, self.rec_grads)
            self.dxw[:, s] += dxw_s
            return list(d_prev)
        m = self.step_mask[:, s]
        dxw_s, d_prev = self.cell.step_backward([d * m for d in d_states], cache,
                                                self.rec_grads)
        self.dxw[:, s] += dxw_s
        return [p + d * ~m for p, d in zip(d_prev, d_states)]


class RNN(Layer):
    """Runs ``self.cell`` over the time axis of x (batch, time, features)."""

    cell: RecurrentCell

    def __init__(self, cell: RecurrentCell, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False,
                 zero_output_for_mask=False, bptt_truncate: int | None = None, **kwargs):
        _KERAS_ONLY.pop(type(self).__name__, kwargs)
        super().__init__(**kwargs)
        self.cell = _check_cell(cell, type(self).__name__)
        self.units = cell.units
        self.dropout = check_fraction("dropout", dropout)
        self.recurrent_dropout = check_fraction("recurrent_dropout", recurrent_dropout)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.bptt_truncate = None if bptt_truncate is None else check_positive_int(
            "bptt_truncate", bptt_truncate)

    # ---- weights live on the cell, as in Keras -------------------------------------------------
    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"layer {self.name!r} expects inputs of shape (batch, time, features)"
                             f" with known features, got {tuple(input_shape)}{_ids_hint(input_shape)}")
        self.cell.build(int(input_shape[-1]), self.dtype, self.rng)
        _probe_step(self.cell, self.dtype)
        self._weight_names = self.cell.weight_names
        super().build(input_shape)

    def params(self):
        return self.cell.params()

    def compute_output_shape(self, input_shape):
        batch, time = input_shape[0], input_shape[1]
        out = (batch, time, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * len(self.cell.state_names)
        return out

    def compute_mask(self, x, mask):
        # Keras passes the input's mask on unchanged, even with go_backwards (whose sequence
        # comes out reversed): the next layer sees the mask in the original time order.
        return mask if self.return_sequences else None

    # ---- forward ----------------------------------------------------------------------------------
    def forward(self, x, training=False, mask=None):
        """The outputs alone: nothing kept, nothing written on the layer or its cell (inference,
        or a training-mode pass nobody differentiates); compiled, it runs the ``infer`` loops."""
        run = self._prepare(x, training, mask, for_backward=False)
        with single_blas_thread():
            xw = self._input_projection(run)
            if run.compiled:
                seq, states = self._infer_compiled(xw, run.step_mask)
            else:
                seq, states, _ = self._run_steps(xw.rows(), run.step_mask, run.rec_masks,
                                                 keep_caches=False)
        return self._package(seq, states, run.step_mask)

    def forward_train(self, x, training=True, mask=None, reference=False):
        """(outputs, ``RNNCache``): the outputs and everything ``backward`` reads.

        ``reference``: run the reference loop even where a compiled one applies, and keep the
        states after every step too (``StepsRun``): what ``state_gradients`` and the per-step
        views of ``rnnkit.insight`` read. Training never asks for it."""
        run = self._prepare(x, training, mask, for_backward=True, reference=reference)
        with single_blas_thread():
            xw = self._input_projection(run)
            if run.compiled:
                seq, states, record = self._run_compiled(xw, run.step_mask)
            else:
                seq, states, record = self._run_steps(xw.rows(), run.step_mask, run.rec_masks,
                                                      keep_caches=True, keep_states=reference)
        cache = RNNCache(run.x_in, run.in_mask, run.step, run.step_mask, record)
        return self._package(seq, states, run.step_mask), cache

    def _prepare(self, x, training, mask, for_backward, reference=False) -> _Pass:
        """Checks, dropout masks (drawn only in training) and the choice of loop."""
        if np.ndim(x) != 3:
            raise ValueError(f"layer {self.name!r} expects input of rank 3 (batch, time, features),"
                             f" got shape {np.shape(x)}{_ids_hint(np.shape(x))}")
        x = self._float_input(x, features=self.cell.kernel.shape[0])
        batch, time, features = x.shape
        step = -1 if self.go_backwards else 1                        # processing order = [::step]
        mask = self._check_mask(mask, batch, time)
        step_mask = None if mask is None else mask[:, ::step, None]
        in_mask = self._dropout_mask((batch, features), self.dropout, training)
        rec_masks = self._dropout_mask((self.cell.n_gates, batch, self.units),
                                       self.recurrent_dropout, training)
        x_in = x if in_mask is None else x * in_mask[:, None, :]
        compiled = not reference and self._compiled_path_applies(rec_masks, for_backward)
        if compiled:
            dispatch.load()  # before the BLAS limit, so that it covers numba's BLAS too
        return _Pass(x_in, in_mask, step, step_mask, rec_masks, compiled)

    def _input_projection(self, run: _Pass) -> InputProjection:
        """xw = x·W + b for every step, computed where the loop needs it (``InputProjection``);
        the compiled loops take it time-major as it comes."""
        return InputProjection(run.x_in, run.step, self.cell.kernel, self.cell.input_bias)

    def _run_steps(self, xw, step_mask, rec_masks, keep_caches, keep_states=False):
        """The reference time loop: one ``cell.step`` per time step (processing order).

        Returns (h after every step if the layer returns sequences, else None; final states;
        ``StepsRun`` of the step caches if ``keep_caches``, else None — inference keeps none;
        with ``keep_states`` it holds the states after every step as well)."""
        time, batch, _ = xw.shape
        states = self.cell.zero_states(batch, self.dtype)
        seq = np.empty((batch, time, self.units), self.dtype) if self.return_sequences else None
        caches, kept = [], [] if keep_states else None
        for s in range(time):
            new_states, cache = self.cell.step(xw[s], states, rec_masks)
            if step_mask is not None:  # a masked step carries every state over unchanged
                new_states = tuple(np.where(step_mask[:, s], n, o)
                                   for n, o in zip(new_states, states))
            states = new_states
            if seq is not None:
                seq[:, s] = states[0]  # the output is h (so a masked step repeats the last one)
            if keep_caches:
                caches.append(cache)
            if kept is not None:
                kept.append(states)
        return seq, states, StepsRun(caches, kept) if keep_caches else None

    def _compiled_path_applies(self, rec_masks, for_backward) -> bool:
        """Compiled loops cover the usual cases; the compiled backward cannot truncate sequence
        outputs, so a pass kept for backward runs those on the reference loop."""
        loop = self.cell.compiled
        truncated_sequences = self.bptt_truncate is not None and self.return_sequences
        return (loop is not None and kernels.enabled()
                and loop.supports(self.cell, rec_masks is not None)
                and not (for_backward and truncated_sequences))

    def _pieces(self, xw: InputProjection):
        """The batch's pieces for the compiled loops (kernels/split.py: by shape alone)."""
        time, batch, width = xw.shape
        return split.rows(batch, time, self.units, width)

    def _run_compiled(self, xw, step_mask):
        """The training loop compiled (kernels/), time-major inside; its ``LoopCache`` (or one
        per piece of the batch, ``SplitCache``) is the record backward reads."""
        pieces = self._pieces(xw)
        if len(pieces) > 1:
            return split.forward(self.cell.compiled, self.cell, xw, step_mask, pieces,
                                 self.return_sequences)
        h_all, states, cache = self.cell.compiled.forward_rows(self.cell, xw, slice(None),
                                                               _time_major(step_mask))
        seq = h_all[1:].transpose(1, 0, 2) if self.return_sequences else None
        return seq, states, cache

    def _infer_compiled(self, xw, step_mask):
        """The inference loop compiled: running states only, and the sequence if returned."""
        pieces = self._pieces(xw)
        if len(pieces) > 1:
            return split.infer(self.cell.compiled, self.cell, xw, step_mask, pieces,
                               self.return_sequences)
        seq, states = self.cell.compiled.infer_rows(self.cell, xw, slice(None),
                                                    _time_major(step_mask),
                                                    self.return_sequences)
        return (None if seq is None else seq.transpose(1, 0, 2)), states

    def _package(self, seq, states, step_mask):
        """Keras's return value: the sequence or the last output, then the states if asked.
        The last output is the final h (a masked last step repeats it)."""
        zero_out = self.zero_output_for_mask and step_mask is not None
        if self.return_sequences:
            out = seq * step_mask if zero_out else seq
        else:
            out = states[0] * step_mask[:, -1] if zero_out else states[0]
        return [out, *states] if self.return_state else out

    def _dropout_mask(self, shape, rate, training):
        """One mask per sequence, reused at every step, scaled by 1/(1 − rate); None if off.
        Drawn only in training: the generator is the one thing a pass may advance."""
        if not training or rate == 0.0:
            return None
        return (self.rng.random(shape) >= rate).astype(self.dtype) / (1.0 - rate)

    def _check_mask(self, mask, batch, time):
        if mask is None:
            return None
        mask = np.asarray(mask)
        if mask.shape != (batch, time):
            raise ValueError(f"layer {self.name!r} expects a mask of shape (batch, time) = "
                             f"{(batch, time)}, got {mask.shape}")
        return mask.astype(bool, copy=False)

    # ---- backward through time -------------------------------------------------------------------
    def backward(self, dy, cache: RNNCache):
        """(dL/dx, weight gradients) from dL/d(outputs) (and dL/d(final states) with
        ``return_state``) and the cache of the ``forward_train`` that made them."""
        batch, time, features = cache.x_in.shape
        d_seq, d_final = self._incoming_grads(dy, cache.step_mask, batch, time)
        rec_grads = self.cell.start_backward()
        with single_blas_thread():
            dxw = self._bptt(cache, d_seq, d_final, rec_grads)     # processing order
            dx, dW, db = self._input_grads(cache, dxw)
        grads = self.cell.weight_grads(dW, db, rec_grads)
        return (dx if cache.in_mask is None else dx * cache.in_mask[:, None, :]), grads

    def _input_grads(self, cache: RNNCache, dxw):
        """(dL/dx, dL/dW, dL/db) from dL/dxw (batch, time, k·u), for xw = x·W + b:
        dx = dxw·Wᵀ, dW = Σ xᵀ·dxw, db = Σ dxw. The batch is cut into the loop's pieces (by
        shape alone: kernels/split.py), each piece's products run in its own thread and the
        pieces' dW and db are added first piece first, so one thread and two give the same
        bits. W7's (9600, 768)·(768, 256) products took 60 ms of a 350 ms step on one core."""
        batch, time, features = cache.x_in.shape
        width = dxw.shape[-1]
        pieces = split.rows(batch, time, self.units, width)

        def piece(r):
            dxw_r = np.ascontiguousarray(dxw[r, ::cache.step]).reshape(-1, width)
            dW = cache.x_in[r].reshape(-1, features).T @ dxw_r
            dx = (dxw_r @ self.cell.kernel.T).reshape(-1, time, features)
            return dx, dW, dxw_r.sum(axis=0)

        done = parallel.run([lambda r=r: piece(r) for r in pieces],
                            work=time * (batch // len(pieces)) * features * width)
        dx = done[0][0] if len(done) == 1 else np.concatenate([d[0] for d in done])
        return dx, _in_order_sum(d[1] for d in done), _in_order_sum(d[2] for d in done)

    def _incoming_grads(self, dy, step_mask, batch, time):
        """(dL/d(output at each step) or None, [dL/d(final state) for each state])."""
        d_out, d_final = (dy[0], list(dy[1:])) if self.return_state else (dy, [])
        d_seq, d_last = self._output_grads(d_out, step_mask, batch, time)
        d_final = [np.zeros((batch, self.units), self.dtype) if d is None else d
                   for d in d_final] or self._zero_states(batch)
        d_final[0] = d_final[0] + d_last                 # the last output is the final h
        return d_seq, d_final

    def _bptt(self, cache: RNNCache, d_seq, d_final, rec_grads):
        """dL/dxw (batch, time, k·u) in processing order, by the loop the forward pass used."""
        batch, time = cache.x_in.shape[:2]
        if isinstance(cache.run, split.SplitCache):
            return split.backward(self.cell.compiled, self.cell, cache.run, d_seq, d_final,
                                  min(self.bptt_truncate or time, time), rec_grads)
        if isinstance(cache.run, LoopCache):
            n_steps = min(self.bptt_truncate or time, time)
            d_seq_tm = None if d_seq is None else d_seq.transpose(1, 0, 2)
            return self.cell.compiled.backward(self.cell, cache.run, d_seq_tm, d_final,
                                               n_steps, rec_grads).transpose(1, 0, 2)
        walk = _StepWalk(self.cell, cache.run.caches, cache.step_mask, rec_grads,
                         np.zeros((batch, time, self.cell.kernel.shape[1]), self.dtype))
        if self.bptt_truncate is None:
            self._bptt_full(walk, d_seq, d_final)
        else:
            self._bptt_truncated(walk, d_seq, d_final, self.bptt_truncate)
        return walk.dxw

    def state_gradients(self, cache: RNNCache, dy=None, d_final=None) -> list[tuple]:
        """dL/d(states after step s) for every step s, in processing order: the gradients the
        reference BPTT walk forms (docs/bptt.md, Backward 1–2) — at step s, the output's own
        gradient plus what flows back from step s+1 — recorded as ``backward`` would walk.

        ``dy`` is dL/d(outputs), as ``backward`` takes it; ``d_final`` (one array or None per
        state) is a gradient put on the final states, e.g. a unit vector on h_T to read a row of
        ∂h_T/∂h_s. Always the full BPTT, whatever ``bptt_truncate`` training uses. ``cache``
        comes from ``forward_train(..., reference=True)``; the weight gradients are dropped."""
        if not isinstance(cache.run, StepsRun):
            raise TypeError(f"layer {self.name!r}: state_gradients reads the reference loop's "
                             f"step caches; make the cache with forward_train(..., "
                             f"reference=True)")
        batch, time = cache.x_in.shape[:2]
        if dy is None:
            d_seq, d_states = None, self._zero_states(batch)
        else:
            d_seq, d_states = self._incoming_grads(dy, cache.step_mask, batch, time)
        for i, d in enumerate(d_final or ()):
            if d is not None:
                d_states[i] = d_states[i] + d
        walk = _StepWalk(self.cell, cache.run.caches, cache.step_mask, self.cell.start_backward(),
                         np.zeros((batch, time, self.cell.kernel.shape[1]), self.dtype),
                         record=[])
        with single_blas_thread():
            self._bptt_full(walk, d_seq, d_states)
        return [d for _, d in reversed(walk.record)]

    def _output_grads(self, d_out, step_mask, batch, time):
        """Split dL/d(output) into a per-step part (sequences) and a last-step part."""
        d_out = np.asarray(d_out, self.dtype)
        zero_out = self.zero_output_for_mask and step_mask is not None
        if self.return_sequences:
            d_seq = d_out * step_mask if zero_out else d_out
            return d_seq, np.zeros((batch, self.units), self.dtype)
        return None, d_out * step_mask[:, -1] if zero_out else d_out

    def _zero_states(self, batch):
        return [np.zeros((batch, self.units), self.dtype) for _ in self.cell.state_names]

    def _bptt_full(self, walk, d_seq, d_states):
        """Walk back over every step; dL/dh collects the output's gradient at each one."""
        for s in reversed(range(walk.dxw.shape[1])):
            if d_seq is not None:
                d_states[0] = d_states[0] + d_seq[:, s]
            d_states = walk.back(s, d_states)

    def _bptt_truncated(self, walk, d_seq, d_final, k):
        """Each output's gradient flows back through at most k steps (itself included).

        The state k steps before an output is treated as a constant for that output's loss, as
        in the classic truncated BPTT exercise. With ``return_sequences`` every step is a source,
        so this costs up to k cell backward steps per output.
        """
        time = walk.dxw.shape[1]
        for src in reversed(range(time)):
            if src == time - 1:
                d_states = list(d_final)
            elif d_seq is not None:
                d_states = self._zero_states(walk.dxw.shape[0])
            else:
                break  # only the last step receives a gradient
            if d_seq is not None:
                d_states[0] = d_states[0] + d_seq[:, src]
            for s in range(src, max(src - k, -1), -1):
                d_states = walk.back(s, d_states)

    # ---- config ------------------------------------------------------------------------------------
    def get_config(self):
        """Keras's layout: ``RNN`` nests its cell as {"class_name", "config"}; SimpleRNN, LSTM
        and GRU (``_flat_cell``) write the cell's options among their own."""
        cell = self.cell.get_config()
        nested = {"cell": {"class_name": type(self.cell).__name__, "config": cell}}
        config = {**super().get_config(), **(cell if self._flat_cell else nested),
                  "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                  "return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "seed": self.seed}
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        if self.bptt_truncate is not None:
            config["bptt_truncate"] = self.bptt_truncate
        return config

    _flat_cell = False

    @classmethod
    def from_config(cls, config):
        if cls._flat_cell:                 # SimpleRNN, LSTM, GRU build their own cell
            return cls(**config)
        config = dict(config)
        spec = config.pop("cell")
        return cls(cell_class(spec["class_name"]).from_config(spec["config"]), **config)


class SimpleRNN(RNN):
    """Fully connected RNN: h' = activation(x·W + h·U + b). Weights [kernel, recurrent_kernel, bias]."""

    _flat_cell = True

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer)
        super().__init__(cell, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTM(RNN):
    """Long short-term memory (gates i, f, c, o). Weights [kernel (in,4u), recurrent (u,4u), bias (4u,)]."""

    _flat_cell = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer,
                        recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias)
        super().__init__(cell, **kwargs)


class GRU(RNN):
    """Gated recurrent unit (gates z, r, h). Bias (2, 3u) with ``reset_after`` (default), else (3u,)."""

    _flat_cell = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, kernel_initializer=kernel_initializer,
                       recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, reset_after=reset_after)
        super().__init__(cell, **kwargs)
