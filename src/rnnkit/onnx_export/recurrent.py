"""Recurrent layers and Bidirectional as ONNX recurrent operators.

One exported ``RNN`` follows the driver (layers/recurrent.py) step for step:

* ``go_backwards``: the steps (and the mask) are taken in reverse time order, and a returned
  sequence stays in that processing order, as Keras's does;
* a mask: ``masking.compact`` → the operator with ``sequence_lens`` → ``masking.expand`` for a
  returned sequence (exact for masks anywhere, see masking.py);
* ``zero_output_for_mask`` (Bidirectional sets it on both directions with return_sequences);
* dropout and recurrent dropout are off at inference; ``bptt_truncate`` is about training.

Bidirectional runs its two layers as two operators (each may have its own cell and options),
flips the backward sequence back into time order and merges as ``layers/merge.py`` does.
"""

from __future__ import annotations

from ..layers.bidirectional import Bidirectional
from ..layers.layer_norm_lstm import LayerNormLSTM
from ..layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from . import masking
from .cells import RecurrentOp, recurrent_op
from .core import owner
from .errors import NotExportableError
from .flow import Flow


def _run_operator(g, op: RecurrentOp, x: str, lengths: str | None, sequence: bool, hint: str):
    """(the output sequence (time, batch, u) or None, the last output (batch, u))."""
    inputs = [x, g.weight(op.W, f"{hint}/W"), g.weight(op.R, f"{hint}/R"),
              g.weight(op.B, f"{hint}/B")] + ([lengths] if lengths is not None else [])
    y, y_last = g.op(op.op_type, inputs, hint, outputs=(sequence, True), hidden_size=op.units,
                     **op.attrs)
    last = g.op("Squeeze", [y_last, g.ints([0])], hint)                 # (1, B, u) → (B, u)
    return (g.op("Squeeze", [y, g.ints([1])], hint) if sequence else None), last


def recurrent(g, layer: RNN, flow: Flow) -> Flow:
    """One recurrent layer: its cell's operator over the flow's steps."""
    who = owner(layer)
    if layer.return_state:
        raise NotExportableError(f"{who} has return_state=True; an exported model has one "
                                 f"output")
    op = recurrent_op(layer.cell, who)
    hint, x, mask = layer.name, flow.value, flow.mask
    if layer.go_backwards:
        x = masking.reverse_time(g, x, hint)
        mask = None if mask is None else masking.reverse_time(g, mask, hint)
    sequence = layer.return_sequences
    if mask is None:
        seq, last = _run_operator(g, op, x, None, sequence, hint)
    else:
        moved, lengths = masking.compact(g, x, mask, hint)
        seq, last = _run_operator(g, op, moved, lengths, sequence, hint)
        seq = masking.expand(g, seq, mask, hint) if sequence else None
        if layer.zero_output_for_mask:
            if sequence:
                seq = masking.zero_masked_steps(g, seq, mask, hint)
            else:
                last = masking.zero_if_last_masked(g, last, mask, hint)
    # Keras passes the mask on (in the original time order) only with a sequence
    return flow.to(seq if sequence else last, width=op.units, steps=sequence,
                   mask=flow.mask if sequence else None)


#: recurrent layers by exact class; LayerNormLSTM is listed so that its cell's refusal (with
#: the reason) is what the user reads
RECURRENT = {RNN: recurrent, SimpleRNN: recurrent, LSTM: recurrent, GRU: recurrent,
             LayerNormLSTM: recurrent}


def _direction(g, layer, flow: Flow) -> Flow:
    export = RECURRENT.get(type(layer))
    if export is None:
        raise NotExportableError(f"{owner(layer)} inside Bidirectional cannot be exported to "
                                 f"ONNX; it has no exporter")
    return export(g, layer, flow)


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
    forward = _direction(g, layer.forward_layer, flow)
    backward = _direction(g, layer.backward_layer, flow)
    y_b = backward.value
    if layer.return_sequences:
        y_b = masking.reverse_time(g, y_b, layer.name)          # back into time order
    merged, width = merge(g, forward.value, y_b, forward.width, layer.name)
    return forward.to(merged, width=width)


LAYERS = {**RECURRENT, Bidirectional: bidirectional}
