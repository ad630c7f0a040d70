"""What the per-step views share: a model run forward keeping its caches, a gradient carried
down from the model's output to one recurrent layer, and that layer's directions.

The pass is the NumPy engine's own: each layer's ``forward_train`` and ``backward``, in
inference mode (dropout off), with the recurrent layer looked at on its reference loop
(``forward_train(..., reference=True)``) so that every step's cache and states are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..layers import RNN, Bidirectional
from ..layers.recurrent import RNNCache
from ..layers.stack import run_stack


@dataclass(frozen=True)
class Direction:
    """One recurrent driver of a layer: ``name`` is "forward", or "backward" for one that reads
    the sequence last step first (``go_backwards``, or Bidirectional's second)."""

    name: str
    layer: RNN
    cache: RNNCache


@dataclass
class Pass:
    """The compute layers' outputs and caches for one batch; ``index`` is the recurrent layer
    that ran on its reference loop."""

    layers: list
    output: np.ndarray
    caches: list
    index: int

    @property
    def layer(self):
        return self.layers[self.index]

    def directions(self) -> list[Direction]:
        """The looked-at layer's drivers with their caches: one, or Bidirectional's two."""
        layer, cache = self.layer, self.caches[self.index]
        if isinstance(layer, Bidirectional):
            return [Direction("forward", layer.forward_layer, cache.forward),
                    Direction("backward", layer.backward_layer, cache.backward)]
        return [Direction("backward" if layer.go_backwards else "forward", layer, cache)]

    def direction_grads(self, d_out) -> list:
        """dL/d(each direction's outputs) from dL/d(the layer's output)."""
        layer = self.layer
        if isinstance(layer, Bidirectional):
            return list(layer.direction_grads(d_out, self.caches[self.index]))
        return [d_out]


def is_recurrent(layer) -> bool:
    return isinstance(layer, (RNN, Bidirectional))


def recurrent_indices(model) -> list[int]:
    """Positions of the recurrent layers among ``model.compute_layers``."""
    return [i for i, layer in enumerate(model.compute_layers) if is_recurrent(layer)]


def find_layer(model, layer=None) -> int:
    """The position among ``model.compute_layers`` of ``layer`` (a name, or None: the first
    recurrent layer)."""
    indices = recurrent_indices(model)
    if not indices:
        raise ValueError(f"model {model.name!r} has no recurrent layer (SimpleRNN, LSTM, GRU, "
                         f"RNN or Bidirectional) to look inside")
    if layer is None:
        return indices[0]
    names = {model.compute_layers[i].name: i for i in indices}
    if layer not in names:
        raise ValueError(f"model {model.name!r} has no recurrent layer named {layer!r}; its "
                         f"recurrent layers are {', '.join(names)}")
    return names[layer]


def model_input(model, x) -> np.ndarray:
    """Raw texts through the model's preprocessing layers, encoded inputs as they are; the
    model is built for them if it is not yet."""
    if not model.graph.is_chain:
        raise ValueError(f"model {model.name!r} is a graph with branches, merges or shared "
                         f"layers; rnnkit.insight looks inside chains of layers only")
    x = model.preprocess(x)
    x = np.asarray(x)
    model.build_for_data(x, len(x))
    return x


def forward(model, x, index: int) -> Pass:
    """Every compute layer's ``forward_train`` in inference mode; layer ``index`` on its
    reference loop, keeping each step's cache and states."""
    layers = model.compute_layers
    target = layers[index]

    def call(layer, x, mask):
        if layer is target:
            return layer.forward_train(x, training=False, mask=mask, reference=True)
        return layer.forward_train(x, training=False, mask=mask)

    output, caches = run_stack(layers, x, call)
    return Pass(layers, output, caches, index)


def carry_down(run: Pass, d_output, top: int | None = None):
    """dL/d(the looked-at layer's output) from ``d_output``, a gradient at the output of layer
    ``top − 1`` (default: the model's output), through each layer's own ``backward``."""
    d = d_output
    for i in reversed(range(run.index + 1, len(run.layers) if top is None else top)):
        d, _ = run.layers[i].backward(d, run.caches[i])
    return d


def loss_gradient(model, run: Pass, y) -> np.ndarray:
    """dL/d(the looked-at layer's output) for the model's loss L (the batch's mean) and
    labels ``y``: entering below the output activation as p − y where the loss fuses with it,
    as the NumPy engine's train step does."""
    loss = model.loss
    if loss is None:
        raise ValueError(f"model {model.name!r} is not compiled, so it has no loss to take the "
                         f"gradient of; call compile(loss=...) first")
    y_true, y_pred = loss.standardize(np.asarray(y), run.output)
    last = run.layers[-1]
    if loss.fuses_with_layer(last) and run.index < len(run.layers) - 1:
        d, _ = last.backward_logits(loss.logits_gradient(y_true, y_pred), run.caches[-1])
        return carry_down(run, d, top=len(run.layers) - 1)
    return carry_down(run, loss.gradient(y_true, y_pred))


def predicted_class_seed(output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class per row, the gradient at the output that selects that class's output).

    One output unit (a sigmoid p): class 1 when p > 0.5, and its output is p — or 1 − p for
    class 0, so the seed is −1. Several units: the largest, seed one-hot."""
    output = np.asarray(output)
    if output.shape[-1] == 1:
        predicted = (output[:, 0] > 0.5).astype(int)      # as Keras counts binary accuracy
        return predicted, np.where(predicted == 1, 1.0, -1.0)[:, None].astype(output.dtype)
    predicted = output.argmax(axis=-1)
    seed = np.zeros_like(output)
    seed[np.arange(len(output)), predicted] = 1.0
    return predicted, seed
