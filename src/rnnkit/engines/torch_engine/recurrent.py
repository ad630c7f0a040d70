"""A recurrent layer on torch: the cell's fused PyTorch module where it fits, its step otherwise.

Everything cell-specific comes from the cell (layers/cells.py): ``fused_kernel()`` names the
``nn.RNN/LSTM/GRU`` that computes it and the Keras→PyTorch gate order, ``fused_blockers()`` says
which of its options that module cannot express, and ``torch_step`` is its step in torch ops.
This module holds only what is about running a cell over time:

* **fused** — the cell's ``nn`` module (cuDNN on a GPU), fed the Keras-layout parameters mapped
  to PyTorch's layout each call. Keras's masking is reproduced for masks whose valid steps are
  one contiguous run per row (pre-, post- or both-padded): each row is rotated so its run starts
  at step 0, packed with its length, run, and rotated back; steps before the run output zeros
  (the state is still the zero initial state) and steps after it repeat the last output, exactly
  as a masked Keras step carries the state over.
* **scripted** — a Python loop over the cell's ``torch_step`` on the Keras-layout parameters,
  for everything the fused module cannot express: a cell without one, options it lacks,
  ``recurrent_dropout`` (training), ``bptt_truncate`` (training) and masks with holes.

Dropout follows Keras: one input mask (batch, features) per call, one recurrent mask per gate
block (k, batch, units) in Keras's gate order, both drawn in the NumPy engine's order.
"""

from __future__ import annotations

import warnings

from . import weight_mapping as wm
from .ops import OPS
from .parameters import KerasParameters
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn
rnn_utils = torch.nn.utils.rnn


class CudnnOffNotice(UserWarning):
    """A layer runs the scripted step loop instead of PyTorch's fused module (nn.LSTM/GRU/RNN,
    cuDNN on a GPU): slower, the same math. Import it from rnnkit.engines.torch_engine."""


def fused_blockers(layer) -> tuple[list[str], list[str]]:
    """Why the fused module cannot run ``layer``: (reasons always, reasons only in training)."""
    cell = layer.cell
    always = list(cell.fused_blockers()) if _declared_fused(cell) else \
        [f"{type(cell).__name__} has no fused PyTorch module"]
    training = []
    if layer.recurrent_dropout > 0:
        training.append(f"recurrent_dropout={layer.recurrent_dropout}")
    if layer.bptt_truncate is not None:
        training.append(f"bptt_truncate={layer.bptt_truncate}")
    return always, training


def _declared_fused(cell) -> bool:
    """Whether ``cell``'s own class names a fused module. Like ``compiled``, a fused module serves
    exactly the class that declares it: a subclass that changes the math must not inherit it."""
    return "fused_kernel" in type(cell).__dict__ and cell.fused_kernel() is not None


def _notice(layer, reasons: list[str], when: str) -> None:
    warnings.warn(f"rnnkit torch engine: layer {layer.name!r} runs a scripted step loop, not "
                  f"PyTorch's fused kernel (cuDNN on a GPU){when}: {', '.join(reasons)}",
                  CudnnOffNotice, stacklevel=3)


def _check_torch_step(layer) -> None:
    cell = layer.cell
    if cell.missing_methods(("torch_step",)):
        raise TypeError(f"layer {layer.name!r}: cell {type(cell).__name__} has no torch_step, so "
                        f"the torch engine cannot run it; define torch_step(self, ops, weights, "
                        f"xw_t, states, masks=None) beside its step (docs/architecture.md)")


class TorchRecurrent(KerasParameters, nn.Module):
    """A description RNN layer executed with torch; same call contract.

    ``forward(x (batch, time, features), mask (batch, time) bool | None)`` returns what the
    description layer's ``forward`` returns: (batch, units) or (batch, time, units) in processing
    order, followed by the final states when ``return_state``.

    Parameters: the cell's weights in Keras's layout and order. The fused path maps them to
    PyTorch's layout each call (torch ops, so gradients arrive in Keras's layout) in one
    contiguous buffer, the layout cuDNN wants; the scripted path uses them as they are.
    """

    def __init__(self, layer, masks, share: bool = True):
        super().__init__()
        self.layer, self.masks = layer, masks
        cell = layer.cell
        self.adopt(layer, share)
        self.always_scripted, self.training_scripted = fused_blockers(layer)
        fused = cell.fused_kernel() if _declared_fused(cell) else None
        # The fused kernel's calling convention only: its own (meta) parameters are never used,
        # and it is kept out of the module tree so that it is neither moved nor counted.
        self._fused = None if self.always_scripted else [getattr(nn, fused.module)(
            cell.kernel.shape[0], cell.units, bias=cell.use_bias, batch_first=True,
            device="meta", **fused.options)]
        self.gate_order = None if fused is None else fused.gate_order
        _check_torch_step(layer)      # a mask with holes runs the step loop on any layer
        if self.always_scripted:
            _notice(layer, self.always_scripted, "")
        elif self.training_scripted:
            _notice(layer, self.training_scripted, " in training")
        self._hole_noticed = False

    def named_weights(self) -> dict:
        """The Keras-layout parameters by the cell's weight names."""
        return dict(zip(self.layer.cell.weight_names, self.keras_parameters()))

    def torch_weights(self) -> dict:
        """{weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0} as views of one flat buffer."""
        mapped = wm.recurrent_to_torch(self.keras_parameters(), self.gate_order)
        names = [n for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
                 if n in mapped]
        flat = torch.cat([mapped[n].reshape(-1) for n in names])
        out, offset = {}, 0
        for n in names:
            size = mapped[n].numel()
            out[n] = flat[offset:offset + size].view(mapped[n].shape)
            offset += size
        return out

    # ---- forward ------------------------------------------------------------------------------
    def forward(self, x, mask=None):
        layer = self.layer
        x = x.to(self.kernel.dtype)
        batch, time, features = x.shape
        in_mask = rec_masks = None
        if self.training and layer.dropout > 0:             # same draw order as the NumPy engine
            in_mask = self.masks.draw(layer, (batch, features), layer.dropout)
        if self.training and layer.recurrent_dropout > 0:
            rec_masks = self.masks.draw(layer, (self.layer.cell.n_gates, batch, layer.units),
                                        layer.recurrent_dropout, batch_axis=1)
        if in_mask is not None:
            x = x * in_mask[:, None, :]
        m = None if mask is None else mask.to(device=x.device, dtype=torch.bool)
        if layer.go_backwards:
            x = x.flip(1)
            m = None if m is None else m.flip(1)
        outputs, states = self._run(x, m, rec_masks, need_sequence=layer.return_sequences)
        return self._package(outputs, states, m)

    def _run(self, x, m, rec_masks, need_sequence):
        scripted = bool(self.always_scripted) or (self.training and bool(self.training_scripted))
        if not scripted:
            result = self._run_fused(x, m, need_sequence)
            if result is not None:
                return result
            if not self._hole_noticed:
                _notice(self.layer, ["a mask with gaps inside a sequence"], " for this batch")
                self._hole_noticed = True
        w = self.named_weights()
        if self.training and self.layer.bptt_truncate is not None and torch.is_grad_enabled():
            return self._run_truncated(w, x, m, rec_masks, self.layer.bptt_truncate)
        return self._run_scripted(w, x, m, rec_masks)

    def compute_mask(self, x, mask):
        """The mask the next layer sees: the input's, unchanged, with ``return_sequences`` —
        in the original time order even after ``go_backwards`` (as Keras and the NumPy engine
        pass it on, though the sequence itself comes out reversed)."""
        return mask if self.layer.return_sequences else None

    def _package(self, outputs, states, m):
        """Keras's return value, as ``RNN._package`` of the NumPy engine."""
        layer = self.layer
        zero_out = layer.zero_output_for_mask and m is not None
        if layer.return_sequences:
            out = outputs * m[..., None] if zero_out else outputs
        else:
            out = states[0] * m[:, -1:] if zero_out else states[0]
        return [out, *states] if layer.return_state else out

    # ---- fused path (cuDNN on a GPU) ---------------------------------------------------------------
    def _run_fused(self, x, m, need_sequence):
        """(outputs or None, states); None when the mask has holes the fused path cannot take."""
        weights = self.torch_weights()
        if m is None or bool(m.all()):
            out, final = self._call_fused(weights, x)
            return out, self._states(final)
        batch, time, features = x.shape
        lengths = m.sum(1)
        first = m.to(torch.int8).argmax(1)                  # first valid step (0 if none)
        t = torch.arange(time, device=x.device)
        run = (t >= first[:, None]) & (t < (first + lengths)[:, None])
        if not bool((run == m).all()):
            return None
        rotate = (t + first[:, None]) % time                # valid run first, then the padding
        x_run = x.gather(1, rotate[..., None].expand(-1, -1, features))
        packed = rnn_utils.pack_padded_sequence(x_run, lengths.clamp(min=1).cpu(),
                                                batch_first=True, enforce_sorted=False)
        out_packed, final = self._call_fused(weights, packed)
        alive = (lengths > 0)[:, None]                      # all-padding rows keep zero states
        states = tuple(torch.where(alive, s, torch.zeros_like(s)) for s in self._states(final))
        if not need_sequence:
            return None, states
        out_run, _ = rnn_utils.pad_packed_sequence(out_packed, batch_first=True,
                                                   total_length=time)
        unrotate = (t - first[:, None]) % time              # zeros land before the run
        out = out_run.gather(1, unrotate[..., None].expand(-1, -1, out_run.shape[-1]))
        after = (t >= (first + lengths)[:, None])[..., None]  # padding after the run repeats h
        return torch.where(after, states[0][:, None, :], out), states

    def _call_fused(self, weights, x):
        return torch.func.functional_call(self._fused[0], weights, (x,))

    def _states(self, final):
        """nn.LSTM's (h_n, c_n) or nn.RNN/GRU's h_n, each (1, batch, u) → tuple of (batch, u)."""
        final = final if isinstance(final, tuple) else (final,)
        return tuple(s[0] for s in final)

    # ---- scripted path -------------------------------------------------------------------------------
    def _project(self, w, x):
        """xw = x·W + b for every step in one product (batch, time, k·u), Keras's gate order."""
        xw = x @ w["kernel"]
        bias = self.layer.cell.input_bias_of(w)
        return xw if bias is None else xw + bias

    def _zero_states(self, batch, like):
        return tuple(like.new_zeros(batch, self.layer.units)
                     for _ in self.layer.cell.state_names)

    def _advance(self, w, xw_t, states, m_t, rec_masks):
        """One step; rows whose step is masked carry every state over unchanged."""
        new = self.layer.cell.torch_step(OPS, w, xw_t, states, rec_masks)
        if m_t is None:
            return tuple(new)
        return tuple(torch.where(m_t[:, None], n, o) for n, o in zip(new, states))

    def _run_scripted(self, w, x, m, rec_masks):
        xw = self._project(w, x)
        states = self._zero_states(x.shape[0], xw)
        outputs = []
        for s in range(x.shape[1]):
            states = self._advance(w, xw[:, s], states, None if m is None else m[:, s], rec_masks)
            outputs.append(states[0])
        return torch.stack(outputs, 1), states

    def _run_truncated(self, w, x, m, rec_masks, k):
        """Truncated BPTT: each output's gradient flows back through at most k steps.

        All windows run side by side: source s (every step with ``return_sequences``, else the
        last) restarts from the detached state before step s − k + 1 and replays k steps; steps
        before 0 are masked (the zero initial state carries over). Values equal the full loop.
        """
        batch, time = x.shape[:2]
        xw = self._project(w, x)
        with torch.no_grad():                               # states before every step, no graph
            before = [self._zero_states(batch, xw)]
            for s in range(time - 1):
                before.append(self._advance(w, xw[:, s], before[-1],
                                            None if m is None else m[:, s], rec_masks))
        sources = torch.arange(time if self.layer.return_sequences else 1, device=x.device)
        if not self.layer.return_sequences:
            sources = sources + time - 1
        n = len(sources)
        starts = (sources - k + 1).clamp(min=0).tolist()
        states = tuple(torch.cat([before[st][i] for st in starts]).detach()
                       for i in range(len(before[0])))               # (n·batch, u)
        masks_rep = None if rec_masks is None else rec_masks.repeat(1, n, 1)
        for j in range(k):
            steps = sources - k + 1 + j                     # per source; < 0 means not yet begun
            valid = (steps >= 0)[:, None].expand(n, batch)
            idx = steps.clamp(min=0)
            xw_j = xw[:, idx].transpose(0, 1).reshape(n * batch, -1)
            m_j = valid if m is None else valid & m[:, idx].T
            states = self._advance(w, xw_j, states, m_j.reshape(-1), masks_rep)
        states = tuple(s.view(n, batch, -1) for s in states)
        outputs = states[0].transpose(0, 1)                 # (batch, n, u)
        return outputs, tuple(s[-1] for s in states)
