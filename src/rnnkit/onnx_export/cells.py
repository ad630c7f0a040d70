"""Each exportable cell as ONNX's RNN, LSTM or GRU operator: weights in ONNX's layout.

Keras keeps W (in, k·u), U (u, k·u) and b (k·u,) with gate blocks side by side; ONNX wants
W (1, k·u, in), R (1, k·u, u) and B (1, 2·k·u) = [Wb, Rb] (input bias, then recurrent bias)
for one direction, with its own block order:

* LSTM: Keras i, f, c, o → ONNX i, o, f, c; activations (f, g, h) = (recurrent_activation,
  activation, activation).
* GRU: z, r, h in both. ``reset_after=True`` is ``linear_before_reset=1`` and its (2, 3u) bias
  is [Wb, Rb] as it stands; ``reset_after=False`` adds its one bias with x·W (Rb = 0), which is
  what ONNX's ``linear_before_reset=0`` does with Wb. Activations (f, g) = (recurrent, activation).
* SimpleRNN: one block; activation f.

The registry is keyed by the exact class: a subclass that changes the step (LayerNormLSTMCell
is an LSTMCell) is refused, not exported as its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..layers.cells import GRUCell, LSTMCell, SimpleRNNCell
from ..layers.layer_norm_lstm import LayerNormLSTMCell
from .activations import recurrent_attributes
from .errors import NotExportableError

#: which of Keras's LSTM blocks (i, f, c, o) sits in each of ONNX's (i, o, f, c)
LSTM_ONNX_FROM_KERAS = (0, 3, 1, 2)


@dataclass(frozen=True)
class RecurrentOp:
    """One direction of an ONNX recurrent operator: its type, weights and attributes."""

    op_type: str
    W: np.ndarray                    # (1, k·u, in)
    R: np.ndarray                    # (1, k·u, u)
    B: np.ndarray                    # (1, 2·k·u)
    units: int
    attrs: dict = field(default_factory=dict)


def _blocks(matrix: np.ndarray, order, units: int) -> np.ndarray:
    """``matrix``'s gate blocks (last axis, ``units`` wide) in ``order``."""
    return np.concatenate([matrix[..., g * units:(g + 1) * units] for g in order], axis=-1)


def _onnx_weights(cell, order, input_bias, recurrent_bias):
    """(W, R, B) in ONNX's layout from the cell's Keras-layout arrays."""
    u = cell.units
    W = _blocks(cell.kernel, order, u).T[None]
    R = _blocks(cell.recurrent_kernel, order, u).T[None]
    zeros = np.zeros(len(order) * u, cell.kernel.dtype)
    Wb = zeros if input_bias is None else _blocks(input_bias, order, u)
    Rb = zeros if recurrent_bias is None else _blocks(recurrent_bias, order, u)
    return W, R, np.concatenate([Wb, Rb])[None]


def _bias(cell):
    return cell.bias if cell.use_bias else None


def simple_rnn(cell: SimpleRNNCell, owner: str) -> RecurrentOp:
    W, R, B = _onnx_weights(cell, (0,), _bias(cell), None)
    return RecurrentOp("RNN", W, R, B, cell.units,
                       recurrent_attributes([cell.activation.name], owner))


def lstm(cell: LSTMCell, owner: str) -> RecurrentOp:
    W, R, B = _onnx_weights(cell, LSTM_ONNX_FROM_KERAS, _bias(cell), None)
    names = [cell.recurrent_activation.name, cell.activation.name, cell.activation.name]
    return RecurrentOp("LSTM", W, R, B, cell.units, recurrent_attributes(names, owner))


def gru(cell: GRUCell, owner: str) -> RecurrentOp:
    bias = _bias(cell)
    if cell.reset_after:
        input_bias, recurrent_bias = (None, None) if bias is None else (bias[0], bias[1])
    else:
        input_bias, recurrent_bias = bias, None
    W, R, B = _onnx_weights(cell, (0, 1, 2), input_bias, recurrent_bias)
    names = [cell.recurrent_activation.name, cell.activation.name]
    return RecurrentOp("GRU", W, R, B, cell.units,
                       {**recurrent_attributes(names, owner),
                        "linear_before_reset": int(cell.reset_after)})


CELLS = {SimpleRNNCell: simple_rnn, LSTMCell: lstm, GRUCell: gru}

#: why a cell rnnkit ships has no exporter
NOT_EXPRESSIBLE = {
    LayerNormLSTMCell: "ONNX's LSTM operator has no layer normalization inside the step",
}


def recurrent_op(cell, owner: str) -> RecurrentOp:
    """The ONNX operator computing ``cell`` exactly, or a one-line refusal naming it."""
    export = CELLS.get(type(cell))
    if export is None:
        why = NOT_EXPRESSIBLE.get(type(cell), "ONNX's RNN, LSTM and GRU operators compute "
                                  "only SimpleRNNCell, LSTMCell and GRUCell")
        raise NotExportableError(f"{owner}: cell {type(cell).__name__} cannot be exported to "
                                 f"ONNX: {why}")
    return export(cell, owner)
