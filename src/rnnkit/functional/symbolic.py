"""Symbolic tensors: what ``Input(...)`` returns and what calling a layer on one returns.

A ``KerasTensor`` holds no values, only a shape (batch axis first), a dtype and its history:
the layer that made it, which of that layer's calls (node) and which of the call's outputs.
Calling a layer on symbolic tensors builds the layer from their shapes and records a ``Node``
on it (``layer._inbound_nodes``), exactly as Keras 3 does, so a layer called twice is one set
of weights with two nodes. ``Model(inputs, outputs)`` (graph.py) reads those histories back.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import config as _config


@dataclass(frozen=True)
class KerasHistory:
    """Where a symbolic tensor comes from: ``layer._inbound_nodes[node_index]``'s output
    number ``tensor_index`` (Keras's ``_keras_history``)."""

    layer: object
    node_index: int
    tensor_index: int

    @property
    def node(self) -> "Node":
        return self.layer._inbound_nodes[self.node_index]


class KerasTensor:
    """A symbolic tensor: ``shape`` (with the batch axis), ``dtype``, ``name`` and history."""

    def __init__(self, shape, dtype, history: KerasHistory, name: str | None = None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._keras_history = history
        self.name = name or history.layer.name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __array__(self, *args, **kwargs):
        # NumPy would otherwise wrap the tensor in an object array and fail far away
        raise TypeError(f"{self!r} is symbolic: it has no values. Build a model with "
                        f"rnnkit.Model(inputs, outputs) and call the model on arrays")

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer on symbolic tensors: what it read and what it made.

    ``inputs`` is the call's argument as given: one tensor, or a list for a layer that takes
    several (``multi_input``); ``input_tensors`` is that flattened."""

    def __init__(self, layer, inputs, outputs: list[KerasTensor]):
        self.layer = layer
        self.inputs = inputs
        self.input_tensors: list[KerasTensor] = list(inputs) if isinstance(inputs, list) \
            else [inputs] if inputs is not None else []
        self.outputs = outputs

    @property
    def is_input(self) -> bool:
        """An InputLayer's node: the start of a graph, reading nothing."""
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list["Node"]:
        return [t._keras_history.node for t in self.input_tensors]


def is_symbolic(x) -> bool:
    """A KerasTensor, or a list/tuple holding one (a multi-input layer's argument)."""
    if isinstance(x, (list, tuple)):
        return any(isinstance(t, KerasTensor) for t in x)
    return isinstance(x, KerasTensor)


def output_dtype(layer) -> str:
    """The dtype of a layer's output: ``output_dtype`` where the layer declares one (an
    InputLayer, a text layer making ids), else its compute dtype."""
    return getattr(layer, "output_dtype", None) or layer.dtype or _config.floatx()


def make_input_tensor(layer) -> KerasTensor:
    """The one output of an InputLayer (its node 0)."""
    tensor = KerasTensor((layer.batch_size,) + layer.shape, output_dtype(layer),
                         KerasHistory(layer, len(layer._inbound_nodes), 0), name=layer.name)
    layer._inbound_nodes.append(Node(layer, None, [tensor]))
    return tensor


def call_symbolic(layer, inputs):
    """``layer(inputs)`` on symbolic tensors: build from their shapes, record a node, return
    the output tensor(s) — a list when the layer has several outputs (``return_state``)."""
    multi = getattr(layer, "multi_input", False)
    if multi != isinstance(inputs, (list, tuple)):
        raise TypeError(f"layer {layer.name!r} takes "
                        f"{'a list of tensors' if multi else 'one tensor'}, got {inputs!r}")
    if isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
        for t in inputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"layer {layer.name!r}: every input must be a symbolic tensor "
                                f"(from Input or a layer), got {t!r}")
        shape = [t.shape for t in inputs]
    else:
        shape = inputs.shape
    if getattr(layer, "preprocessing", False) is False and _is_string(inputs):
        raise TypeError(f"layer {layer.name!r} cannot read strings; put a TextVectorization "
                        f"between the string Input and it")
    layer.ensure_built(shape)
    out_shape = layer.compute_output_shape(shape)
    node_index = len(layer._inbound_nodes)
    shapes = out_shape if isinstance(out_shape, list) else [out_shape]
    outputs = [KerasTensor(s, output_dtype(layer), KerasHistory(layer, node_index, i))
               for i, s in enumerate(shapes)]
    layer._inbound_nodes.append(Node(layer, inputs, outputs))
    return outputs if isinstance(out_shape, list) else outputs[0]


def _is_string(inputs) -> bool:
    tensors = inputs if isinstance(inputs, list) else [inputs]
    return any(t.dtype == "string" for t in tensors)
