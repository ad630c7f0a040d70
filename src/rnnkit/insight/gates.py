"""What the gates do: every step's gate activations and states of each recurrent layer.

The values are the ones the layer computes: its reference loop's step caches (each cell names
the fields that are gates and candidates, ``gate_fields`` / ``candidate_fields``: LSTM i, f, o
and the candidate g = c̃; GRU z, r and the candidate ĥ; SimpleRNN none) and the states after
each step (h, and the LSTM's cell state c). Arrays are in *time order* — index t is input
position t, also for a direction that reads backwards — so they line up with the text's words.
A step a mask skips computes gates that are never applied: they are NaN here (the states are
carried over, as the layer carries them).

Which units move the prediction: for each unit j of the final state h_T of a direction,
∂p/∂h_T,j (p the model's output for the predicted class: a sigmoid unit's p, or 1 − p when the
negative class is predicted, or the predicted class's softmax probability) times h_T,j — the
first-order share of the prediction that flows through the unit; ranked by its size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .passes import (
    Direction,
    carry_down,
    find_layer,
    forward,
    model_input,
    predicted_class_seed,
    recurrent_indices,
)

#: a gate value counts as saturated below LOW or above HIGH
LOW, HIGH = 0.1, 0.9


@dataclass(frozen=True)
class Saturation:
    """Fractions of a gate's values below ``LOW`` (closed) and above ``HIGH`` (open)."""

    low: float
    high: float

    @property
    def saturated(self) -> float:
        return self.low + self.high


@dataclass(frozen=True)
class UnitInfluence:
    """One unit of a direction's final state h_T: its value, ∂p/∂h_T,j, and their product."""

    unit: int
    value: float
    gradient: float

    @property
    def contribution(self) -> float:
        return self.gradient * self.value


@dataclass
class LayerGates:
    """One direction of one recurrent layer for a batch of B inputs of T steps, time order.

    ``gates`` / ``candidates`` / ``states``: name → (B, T, u); ``final_state`` (B, u): h after
    the direction's last step; ``final_gradient`` (B, u): ∂p/∂h_T for the predicted class.
    """

    layer: str
    direction: str
    cell: str
    units: int
    gates: dict
    candidates: dict
    states: dict
    final_state: np.ndarray
    final_gradient: np.ndarray

    def series(self) -> dict:
        """Every shown quantity by name: gates, then candidates, then states."""
        return {**self.gates, **self.candidates, **self.states}

    def saturation(self, where: np.ndarray | None = None) -> dict[str, Saturation]:
        """Per gate, over the positions ``where`` (B, T) is True (default: every step a mask
        did not skip)."""
        out = {}
        for name, values in self.gates.items():
            chosen = values if where is None else values[np.asarray(where, bool)]
            chosen = chosen[~np.isnan(chosen)]
            n = max(chosen.size, 1)
            out[name] = Saturation(float((chosen < LOW).sum() / n),
                                   float((chosen > HIGH).sum() / n))
        return out

    def top_units(self, row: int = 0, k: int = 5) -> list[UnitInfluence]:
        """The ``k`` units of input ``row`` with the largest |∂p/∂h_T,j · h_T,j|."""
        value, grad = self.final_state[row], self.final_gradient[row]
        order = np.argsort(-np.abs(value * grad), kind="stable")[:k]
        return [UnitInfluence(int(j), float(value[j]), float(grad[j])) for j in order]


@dataclass
class Gates:
    """``gate_activations``'s answer: the model's output, the predicted class per input, and
    one ``LayerGates`` per recurrent layer and direction, bottom layer first."""

    output: np.ndarray
    predicted: np.ndarray
    layers: list


def gate_activations(model, x) -> Gates:
    """Gates and states of every recurrent layer of ``model`` for inputs ``x`` (raw texts or
    encoded ids), one forward pass per recurrent layer."""
    x = model_input(model, x)
    find_layer(model)               # a model without a recurrent layer: a one-line refusal
    found = []
    for index in recurrent_indices(model):
        run = forward(model, x, index)
        _, seed = predicted_class_seed(run.output)
        d_out = carry_down(run, seed)
        found += [_layer_gates(direction, d)
                  for direction, d in zip(run.directions(), run.direction_grads(d_out),
                                          strict=True)]
    predicted, _ = predicted_class_seed(run.output)
    return Gates(run.output, predicted, found)


def _layer_gates(direction: Direction, d_out) -> LayerGates:
    rnn, cache = direction.layer, direction.cache
    steps, order = cache.run, cache.step          # [::order] turns processing into time order
    skipped = None if cache.step_mask is None else ~cache.step_mask[:, :, 0]

    def stacked(values):
        return np.stack(values, axis=1)[:, ::order]

    def computed(attr):
        values = np.stack([getattr(c, attr) for c in steps.caches], axis=1).astype(np.float64)
        if skipped is not None:
            values[skipped] = np.nan
        return values[:, ::order]

    cell = rnn.cell
    return LayerGates(
        rnn.name, direction.name, type(cell).__name__, rnn.units,
        gates={name: computed(attr) for name, attr in cell.gate_fields},
        candidates={name: computed(attr) for name, attr in cell.candidate_fields},
        states={name: stacked([s[i] for s in steps.states])
                for i, name in enumerate(cell.state_names)},
        final_state=steps.states[-1][0],
        final_gradient=rnn.state_gradients(cache, dy=d_out)[-1][0])
