"""Recurrent layers and Bidirectional as ONNX recurrent operators.

One exported ``RNN`` follows the driver (layers/recurrent.py) step for step:

* ``go_backwards``: the steps (and the mask) are taken in reverse time order, and a returned
  sequence stays in that processing order, as Keras's does;
* a mask: ``masking.compact`` → the operator with ``sequence_lens`` → ``masking.expand`` for a
  returned sequence (exact for masks anywhere, see masking.py);
* ``zero_output_for_mask`` (Bidirectional sets it on both directions with return_sequences);
* dropout and recurrent dropout are off at inference; ``bptt_truncate`` is about training.

Bidirectional(layer) is one ``direction="bidirectional"`` operator, which a runtime may run as
two directions side by side (onnxruntime does with two threads); a backward layer of its own
(another cell or options) makes two operators, the backward sequence flipped back into time
order. Both merge as ``layers/merge.py`` does.
"""

from __future__ import annotations

import numpy as np

from ..layers.bidirectional import Bidirectional
from ..layers.layer_norm_lstm import LayerNormLSTM
from ..layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from . import masking
from .cells import RecurrentOp, recurrent_op
from .core import owner
from .errors import NotExportableError
from .flow import Flow


def _run_operator(g, ops, x: str, lengths: str | None, sequence: bool, hint: str,
                  direction: str = "forward"):
    """One ONNX operator for ``ops`` (one direction, or forward and reverse): (its sequence
    output (time, directions, batch, u) or None, its last outputs (directions, batch, u))."""
    first = ops[0]
    weights = [g.weight(np.concatenate([getattr(op, name) for op in ops]), f"{hint}/{name}")
               for name in ("W", "R", "B")]
    inputs = [x, *weights] + ([lengths] if lengths is not None else [])
    # the activation lists name every direction's activations, forward's first
    attrs = {k: [v for op in ops for v in op.attrs[k]] if isinstance(v, list) else v
             for k, v in first.attrs.items()}
    return g.op(first.op_type, inputs, hint, outputs=(sequence, True), hidden_size=first.units,
                direction=direction, **attrs)


def _direction(g, value: str, axis: int, d: int, hint: str) -> str:
    """Direction ``d``'s part of an operator output (the directions axis dropped)."""
    return g.op("Gather", [value, g.ints(d, scalar=True)], hint, axis=axis)


def _reverse(g, x: str, mask: str | None, hint: str):
    """``go_backwards``: the steps, and the mask, in reverse time order."""
    return (masking.reverse_time(g, x, hint),
            None if mask is None else masking.reverse_time(g, mask, hint))


def _zero_output(g, layer: RNN, seq, last, mask, hint):
    """``zero_output_for_mask``: zeros where the step (the last one processed) is masked."""
    if not layer.zero_output_for_mask or mask is None:
        return seq, last
    if seq is not None:
        return masking.zero_masked_steps(g, seq, mask, hint), last
    return seq, masking.zero_if_last_masked(g, last, mask, hint)


def _check(layer: RNN) -> RecurrentOp:
    """The layer's operator, or a refusal of what an exported model cannot hold."""
    if layer.return_state:
        raise NotExportableError(f"{owner(layer)} has return_state=True; an exported model has "
                                 f"one output")
    return recurrent_op(layer.cell, owner(layer))


def _after(layer, flow: Flow, value: str, width: int) -> Flow:
    """What the next layer gets; Keras passes the mask on (in the original time order) only
    with a sequence."""
    sequence = layer.return_sequences
    return flow.to(value, width=width, steps=sequence, mask=flow.mask if sequence else None)


def recurrent(g, layer: RNN, flow: Flow) -> Flow:
    """One recurrent layer: its cell's operator over the flow's steps."""
    op = _check(layer)
    hint, x, mask, sequence = layer.name, flow.value, flow.mask, layer.return_sequences
    if layer.go_backwards:
        x, mask = _reverse(g, x, mask, hint)
    lengths = None
    if mask is not None:
        x, lengths = masking.compact(g, x, mask, hint)
    y, y_last = _run_operator(g, [op], x, lengths, sequence, hint)
    seq = _direction(g, y, 1, 0, hint) if sequence else None
    last = _direction(g, y_last, 0, 0, hint)
    if seq is not None and mask is not None:
        seq = masking.expand(g, seq, mask, hint)
    seq, last = _zero_output(g, layer, seq, last, mask, hint)
    return _after(layer, flow, seq if sequence else last, op.units)


#: recurrent layers by exact class; LayerNormLSTM is listed so that its cell's refusal (with
#: the reason) is what the user reads
RECURRENT = {RNN: recurrent, SimpleRNN: recurrent, LSTM: recurrent, GRU: recurrent,
             LayerNormLSTM: recurrent}


def _one_direction(g, layer, flow: Flow) -> Flow:
    export = RECURRENT.get(type(layer))
    if export is None:
        raise NotExportableError(f"{owner(layer)} inside Bidirectional cannot be exported to "
                                 f"ONNX; it has no exporter")
    return export(g, layer, flow)


def _separately(g, layer: Bidirectional, flow: Flow):
    """(y_f, y_b in time order, width): the two layers as two operators."""
    forward = _one_direction(g, layer.forward_layer, flow)
    y_b = _one_direction(g, layer.backward_layer, flow).value
    if layer.return_sequences:
        y_b = masking.reverse_time(g, y_b, layer.name)          # back into time order
    return forward.value, y_b, forward.width


def _same_operator(layer: Bidirectional):
    """(forward op, backward op) when one ``direction="bidirectional"`` operator computes both
    layers exactly — the usual Bidirectional(layer) — else None."""
    f, b = layer.forward_layer, layer.backward_layer
    if not (type(f) in RECURRENT and type(b) in RECURRENT and not f.go_backwards
            and b.go_backwards and f.zero_output_for_mask == b.zero_output_for_mask):
        return None
    op_f, op_b = _check(f), _check(b)
    same = (op_f.op_type, op_f.units, op_f.attrs) == (op_b.op_type, op_b.units, op_b.attrs)
    return (op_f, op_b) if same else None


def _together(g, layer: Bidirectional, ops, flow: Flow):
    """(y_f, y_b in time order, width) from one bidirectional operator. ONNX's reverse
    direction indexes its outputs by time, so its sequence needs no flip; with a mask both
    directions run over the compacted real steps (masking.py), which a reversed pass over
    real steps only is exactly Keras's backward layer."""
    hint, x, mask, sequence = layer.name, flow.value, flow.mask, layer.return_sequences
    lengths = None
    if mask is not None:
        x, lengths = masking.compact(g, x, mask, hint)
    y, y_last = _run_operator(g, ops, x, lengths, sequence, hint, direction="bidirectional")
    outputs = []
    for d, direction in enumerate((layer.forward_layer, layer.backward_layer)):
        seq = _direction(g, y, 1, d, hint) if sequence else None
        last = _direction(g, y_last, 0, d, hint)
        if seq is not None and mask is not None:
            seq = masking.expand(g, seq, mask, hint)
        seq, last = _zero_output(g, direction, seq, last, mask, hint)
        outputs.append(seq if sequence else last)
    return outputs[0], outputs[1], ops[0].units


def _concat(g, f, b, width, hint):
    return g.op("Concat", [f, b], hint, axis=-1), 2 * width


def _sum(g, f, b, width, hint):
    return g.op("Add", [f, b], hint), width


def _ave(g, f, b, width, hint):
    two = g.weight(2.0, f"{hint}/two")
    return g.op("Div", [g.op("Add", [f, b], hint), two], hint), width


def _mul(g, f, b, width, hint):
    return g.op("Mul", [f, b], hint), width


#: Bidirectional's merge modes (layers/merge.py's forwards): (g, y_f, y_b, width, hint) →
#: (merged, its width); None (two outputs) has no place in a one-output graph
MERGES = {"concat": _concat, "sum": _sum, "ave": _ave, "mul": _mul}


def bidirectional(g, layer: Bidirectional, flow: Flow) -> Flow:
    merge = MERGES.get(layer.merge_mode)
    if merge is None:
        raise NotExportableError(f"{owner(layer)} has merge_mode={layer.merge_mode!r}, which "
                                 f"returns two outputs; use one of {', '.join(MERGES)}")
    ops = _same_operator(layer)
    y_f, y_b, width = (_separately(g, layer, flow) if ops is None
                       else _together(g, layer, ops, flow))
    merged, width = merge(g, y_f, y_b, width, layer.name)
    return _after(layer, flow, merged, width)


LAYERS = {**RECURRENT, Bidirectional: bidirectional}
