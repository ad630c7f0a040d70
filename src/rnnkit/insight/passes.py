"""What the per-step views share: a model run forward keeping its caches, a gradient carried
down from the model's output to one recurrent layer, and that layer's directions.

The pass is the NumPy engine's own: each layer's ``forward_train`` and ``backward``, in
inference mode (dropout off), over the model's graph with the engines' graph walk (a
Sequential model's graph is a chain; a Functional model's may branch and merge), with the
recurrent layer looked at on its reference loop (``forward_train(..., reference=True)``) so
that every step's cache and states are kept. The gradient comes down only the steps that
depend on that layer; a tensor read twice gets its readers' gradients summed. A recurrent layer
called more than once in the graph is refused (which call's states would be *the* layer's?).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..functional.graph import Graph
from ..functional.walk import backward_graph, loss_entry, run_graph
from ..layers import RNN, Bidirectional
from ..layers.recurrent import RNNCache
from .errors import ExplainError


@dataclass(frozen=True)
class Direction:
    """One recurrent driver of a layer: ``name`` is "forward", or "backward" for one that reads
    the sequence last step first (``go_backwards``, or Bidirectional's second)."""

    name: str
    layer: RNN
    cache: RNNCache


@dataclass
class Pass:
    """The model graph's output and one cache per step for one batch; ``step`` is the call of
    the recurrent layer that ran on its reference loop."""

    graph: Graph
    output: np.ndarray
    caches: list
    step: int

    @property
    def layer(self):
        return self.graph.layers[self.graph.steps[self.step].unit]

    def directions(self) -> list[Direction]:
        """The looked-at layer's drivers with their caches: one, or Bidirectional's two."""
        layer, cache = self.layer, self.caches[self.step]
        if isinstance(layer, Bidirectional):
            return [Direction("forward", layer.forward_layer, cache.forward),
                    Direction("backward", layer.backward_layer, cache.backward)]
        return [Direction("backward" if layer.go_backwards else "forward", layer, cache)]

    def direction_grads(self, d_out) -> list:
        """dL/d(each direction's outputs) from dL/d(the layer's output)."""
        layer = self.layer
        if isinstance(layer, Bidirectional):
            return list(layer.direction_grads(d_out, self.caches[self.step]))
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
        raise ExplainError(f"model {model.name!r} has no recurrent layer (SimpleRNN, LSTM, GRU, "
                           f"RNN or Bidirectional) to look inside; `rnnkit explain` shows which "
                           f"words decided its predictions")
    if layer is None:
        return indices[0]
    names = {model.compute_layers[i].name: i for i in indices}
    if layer not in names:
        raise ExplainError(f"model {model.name!r} has no recurrent layer named {layer!r}; its "
                           f"recurrent layers are {', '.join(names)}")
    return names[layer]


def model_input(model, x) -> np.ndarray:
    """Raw texts through the model's preprocessing layers, encoded inputs as they are; the
    model is built for them if it is not yet."""
    if len(model.graph.inputs) != 1 or len(model.graph.outputs) != 1:
        raise ExplainError(f"model {model.name!r} has {len(model.graph.inputs)} inputs and "
                           f"{len(model.graph.outputs)} outputs; rnnkit.insight looks inside "
                           f"models with one of each")
    x = model.preprocess(x)
    x = np.asarray(x)
    model.build_for_data(x, len(x))
    return x


def layer_step(model, index: int) -> int:
    """The one graph step that calls compute layer ``index`` (the graph's unit ``index``).

    A recurrent layer called twice (shared by two branches) has two sets of states, and no
    one of them is *the* layer's: refused."""
    calls = [i for i, step in enumerate(model.graph.steps) if step.unit == index]
    if len(calls) != 1:
        name = model.compute_layers[index].name
        raise ExplainError(f"layer {name!r} is called {len(calls)} times in model "
                           f"{model.name!r}; gates and gradient flow look at a recurrent layer "
                           f"called once; `rnnkit explain` shows which words decided the "
                           f"model's predictions")
    return calls[0]


def forward(model, x, index: int) -> Pass:
    """Every step of the model's graph, ``forward_train`` in inference mode; compute layer
    ``index`` on its reference loop, keeping each step's cache and states."""
    graph = model.graph
    step = layer_step(model, index)
    target = graph.layers[index]                 # called by that step only

    def call(layer, x, mask):
        if layer is target:
            return layer.forward_train(x, training=False, mask=mask, reference=True)
        return layer.forward_train(x, training=False, mask=mask)

    (output,), caches = run_graph(graph, graph.layers, [x], call)
    return Pass(graph, output, caches, step)


def carry_down(run: Pass, d_output, step_call=None):
    """dL/d(the looked-at layer's output) from ``d_output``, the gradient at the model's
    output (or below its activation, when ``step_call`` is a fused loss's: ``loss_entry``),
    through each later step's own ``backward`` — the graph walk summing where a tensor is read
    twice.

    Only the steps that depend on the looked-at one run (``needs_backward``); at that step the
    walk stops and keeps the gradient it receives instead of going further down."""
    graph = run.graph
    found = []

    step_call = step_call or (lambda i, layer, dy, cache: layer.backward(dy, cache))

    def call(i, layer, dy, cache):
        if i == run.step:
            found.append(dy)
            return None, None                 # nothing below it is wanted
        return step_call(i, layer, dy, cache)

    after = graph.needs_backward(lambda layer: layer is run.layer)
    backward_graph(graph, graph.layers, run.caches, [d_output], call, after)
    if not found:
        raise ExplainError(f"the output of model's layer {run.layer.name!r} does not reach the "
                           f"model's output; there is no gradient to look at")
    return found[0]


def loss_gradient(model, run: Pass, y) -> np.ndarray:
    """dL/d(the looked-at layer's output) for the model's loss L (the batch's mean) and
    labels ``y``: entering below the output activation as p − y where the loss fuses with it,
    as the NumPy engine's train step does."""
    loss = model.loss
    if loss is None:
        raise ValueError(f"model {model.name!r} is not compiled, so it has no loss to take the "
                         f"gradient of; call compile(loss=...) first")
    y_true, y_pred = loss.standardize(np.asarray(y), run.output)
    if run.graph.fused_output_step(loss) == run.step:   # the looked-at layer is the output
        return loss.gradient(y_true, y_pred)
    return carry_down(run, *loss_entry(run.graph, loss, (y_true, y_pred, None)))


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
