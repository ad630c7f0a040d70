"""Functional: a model made from symbolic tensors, ``Model(inputs, outputs)`` as in Keras.

The model keeps the traced graph (graph.py) of every layer call between its inputs and outputs.
Leading preprocessing layers (``Input(dtype="string")`` → TextVectorization → …) run on the
host as in a Sequential model: the graph the engines get (``graph``) starts at the tensor the
last of them makes. rnnkit's training loop feeds one array and its losses read one output, so
compile, fit, evaluate and predict take one input and one output; several build, summarise and
save.
"""

from __future__ import annotations

import numpy as np

from ..keras_options import refuse_unknown
from ..layers import InputLayer
from ..model import Model
from ..naming import unique_name
from .graph import GraphError, trace
from .symbolic import KerasTensor


class Functional(Model):
    """``Model(inputs, outputs)``: the layers called between ``Input`` tensors and outputs."""

    keras_class_name = "Functional"

    def __init__(self, inputs=None, outputs=None, name: str | None = None,
                 trainable: bool = True, **kwargs):
        if inputs is None or outputs is None:
            raise TypeError("rnnkit.Model takes (inputs, outputs): symbolic tensors from "
                            "rnnkit.Input and layer calls (subclassing Model is not supported)")
        refuse_unknown("Model", kwargs)
        self._init_state(name or unique_name("functional"), trainable)
        self._input_structure, self._output_structure = inputs, outputs
        self.inputs = _flat_tensors(inputs, "inputs")
        self.outputs = _flat_tensors(outputs, "outputs")
        for tensor in self.inputs:
            if not tensor._keras_history.node.is_input:
                raise GraphError(f"model inputs must be tensors made by rnnkit.Input; "
                                 f"{tensor!r} is the output of layer "
                                 f"{tensor._keras_history.layer.name!r}")
        self._traced = trace(self.inputs, self.outputs)
        self._preprocessing = self._leading_preprocessing()
        self._compute = self._traced if not self._preprocessing else \
            trace([self._preprocessing[-1][1]], self.outputs)

    def _leading_preprocessing(self) -> list:
        """(layer, output tensor) of the preprocessing layers right after the one Input; a
        preprocessing layer anywhere else is refused."""
        chain, tensor = [], self.inputs[0]
        nodes = self._traced.nodes
        while len(self.inputs) == 1:
            readers = [n for n in nodes if any(t is tensor for t in n.input_tensors)]
            if len(readers) != 1 or not readers[0].layer.preprocessing:
                break
            tensor = readers[0].outputs[0]
            chain.append((readers[0].layer, tensor))
        placed = {id(layer) for layer, _ in chain}
        for layer in self._traced.operations:
            if layer.preprocessing and id(layer) not in placed:
                raise GraphError(f"{type(layer).__name__} {layer.name!r} is a preprocessing "
                                 f"layer; it must read the model's one Input directly (or "
                                 f"another preprocessing layer that does)")
        return chain

    # ---- structure -------------------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """Every layer, InputLayers included, in Keras's order (a shared layer once)."""
        return list(self._traced.operations)

    @property
    def input_layers(self) -> list:
        return [t._keras_history.layer for t in self.inputs]

    @property
    def preprocessing_layers(self) -> list:
        return [layer for layer, _ in self._preprocessing]

    @property
    def compute_layers(self) -> list:
        """The layers an engine runs (each once, in Keras's order)."""
        return list(self._compute.graph.layers)

    @property
    def graph(self):
        """The compute layers' calls, from the (preprocessed) input to the outputs."""
        return self._compute.graph

    @property
    def nodes(self) -> list:
        """The model's layer calls (InputLayers' too), deepest first (Keras's order)."""
        return list(self._traced.nodes)

    @property
    def nodes_by_depth(self) -> dict:
        return dict(self._traced.nodes_by_depth)

    def layer_nodes(self, layer) -> list:
        """``layer``'s calls that belong to this model, in the order they were made."""
        mine = set(self._traced.nodes)
        return [node for node in layer._inbound_nodes if node in mine]

    # ---- shapes -----------------------------------------------------------------------------------
    built = True

    @property
    def build_input_shape(self):
        return _one([t.shape for t in self.inputs])

    @property
    def compute_input_shape(self):
        return _one([t.shape for t in self._compute_inputs])

    @property
    def _compute_inputs(self) -> list:
        return [self._preprocessing[-1][1]] if self._preprocessing else self.inputs

    @property
    def output_shape(self):
        return _one([t.shape for t in self.outputs])

    def layer_output_shapes(self) -> list:
        """Each layer's output shape (its last call's; a list for several outputs)."""
        shapes = []
        for layer in self.layers:
            outputs = self.layer_nodes(layer)[-1].outputs
            shapes.append(_one([t.shape for t in outputs]))
        return shapes

    def build(self, input_shape) -> None:
        """A Functional model is built when made; ``input_shape`` must fit its inputs."""
        expected = self.build_input_shape
        if len(tuple(input_shape)) != len(expected):
            raise ValueError(f"model {self.name!r} takes inputs of shape {expected}, got "
                             f"{tuple(input_shape)}")

    def build_for_data(self, x, batch_size: int) -> None:
        """Check that ``x`` fits the (preprocessed) input."""
        self._require_one_input("run on data")
        expected = self.compute_input_shape
        if np.ndim(x) != len(expected):
            raise ValueError(f"model {self.name!r} expects inputs of shape "
                             f"{expected}, got {np.shape(x)}")

    # ---- what rnnkit's loop takes: one input, one output ----------------------------------------------
    def compile(self, *args, **kwargs) -> None:
        self._require_one_input("compile")
        if len(self.outputs) != 1:
            raise ValueError(f"model {self.name!r} has {len(self.outputs)} outputs; rnnkit's "
                             f"losses and fit loop take one (compile Model(inputs, one_output))")
        super().compile(*args, **kwargs)

    def preprocess(self, x):
        """As Sequential's, once the model is known to take one input: every way data reaches
        the engine passes here, so several inputs are refused before ``x`` is looked at."""
        self._require_one_input("run on data")
        return super().preprocess(x)

    def _require_one_input(self, what: str) -> None:
        if len(self.inputs) != 1:
            raise ValueError(f"model {self.name!r} has {len(self.inputs)} inputs; rnnkit's "
                             f"engines and training loop feed one array, so it cannot {what} "
                             f"(it builds, summarises and saves; real Keras runs the file)")

    # ---- description -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras's Functional config (layers with their inbound nodes, input and output layers),
        rnnkit-only options folded in."""
        from ..saving import keras_format
        return keras_format.functional_config(self)

    @classmethod
    def from_config(cls, config: dict) -> "Functional":
        from ..saving import keras_format
        return keras_format.functional_from_config(config)

    def input_structure(self):
        """The inputs as given: one tensor, a list or a dict (for the config's input_layers)."""
        return self._input_structure

    def output_structure(self):
        return self._output_structure

    def __repr__(self) -> str:
        return f"<Functional name={self.name}, {len(self.layers)} layers>"


def _flat_tensors(structure, what: str) -> list[KerasTensor]:
    """One tensor, a list/tuple or a dict of them, as a list (refusing anything else)."""
    if isinstance(structure, dict):
        items = list(structure.values())
    elif isinstance(structure, (list, tuple)):
        items = list(structure)
    else:
        items = [structure]
    if not items:
        raise GraphError(f"Model needs at least one tensor in {what}")
    for item in items:
        if not isinstance(item, KerasTensor):
            raise TypeError(f"Model {what} must be symbolic tensors (from rnnkit.Input and "
                            f"layer calls), got {type(item).__name__}")
    return items


def _one(items: list):
    return items[0] if len(items) == 1 else items
