"""A built ``Sequential`` as one ONNX graph: its input, every layer's nodes, one output.

The graph's input is what the model reads: ``token_ids`` (int64, [batch, time]) for a model
that starts with an Embedding, else ``inputs`` (float32, [batch, time, features]) — or, with
``one_hot_input=True``, token ids that the graph one-hot encodes as rnnkit's one-hot encoding
does (id 0, the padding, is the zero vector). Batch and time are dynamic axes unless an input
signature fixes them. The output is ``probabilities`` (float32, [batch, classes]) when the
model ends in a sigmoid or softmax, else ``outputs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..layers.core import Dense
from . import masking
from .errors import NotExportableError
from .flow import Flow
from .graph import GraphBuilder
from .layers import export_layer

#: the opset written by default: onnxruntime ≥ 1.12 and every current converter read it
OPSET = 17
#: the oldest opset with what the graph uses (Shape's start/end: 15; RNN/LSTM/GRU's last change: 14)
MIN_OPSET = 15

IDS, FEATURES = "token_ids", "inputs"
PROBABILITIES, OUTPUTS = "probabilities", "outputs"


@dataclass(frozen=True)
class Signature:
    """The graph's input and output: names, element types and shapes (None = dynamic)."""

    input_name: str
    input_dtype: str
    input_shape: tuple
    output_name: str
    output_shape: tuple

    def describe(self) -> str:
        return (f"{self.input_name} {self.input_dtype} {_dims(self.input_shape)} → "
                f"{self.output_name} float32 {_dims(self.output_shape)}")


#: how a dynamic axis is named in the graph and in messages, by position
AXIS_NAMES = ("batch", "time", "features")


def _dims(shape) -> str:
    return "[" + ", ".join(n if d is None else str(d) for d, n in zip(shape, AXIS_NAMES)) + "]"


def _model_name(model) -> str:
    return f"model {model.name!r}"


def _input_shape(model, input_signature, one_hot_input: bool) -> tuple:
    """The graph input's shape: the model's, batch and time dynamic, or the signature's dims."""
    built = tuple(model.compute_input_shape)
    shape = (None, None) + built[2:]
    if one_hot_input:
        if len(built) != 3:
            raise NotExportableError(f"one_hot_input=True is for models fed one-hot vectors "
                                     f"(batch, time, vocabulary); {_model_name(model)} reads "
                                     f"token ids already")
        shape = (None, None)
    if input_signature is None:
        return shape
    given = input_signature
    if isinstance(given, list) and len(given) == 1:       # Keras passes one spec per input
        given = given[0]
    given = tuple(getattr(given, "shape", given))
    if len(given) != len(shape) or any(s is not None and g != s for g, s in zip(given, shape)):
        raise ValueError(f"input_signature {given} does not fit {_model_name(model)}, whose "
                         f"graph input has shape {shape} (None: any size)")
    return tuple(None if d is None else int(d) for d in given)


def _one_hot(g, ids: str, depth: int) -> str:
    """rnnkit's one-hot encoding of (time, batch) ids: id 0, the padding, is the zero vector."""
    hot = g.op("OneHot", [ids, g.ints(depth, scalar=True),
                          g.weight(np.array([0.0, 1.0]), "input/off_on")], "input", axis=-1)
    real = g.cast(masking.nonzero(g, ids, "input"), "FLOAT", "input")
    return g.op("Mul", [hot, g.op("Unsqueeze", [real, g.ints([2])], "input")], "input")


def _graph_input(g, shape, one_hot_input: bool, features: int | None):
    """(the input's value_info, the first Flow, the input's dtype name); the graph works
    time-major from here on (flow.py)."""
    helper, types = g.onnx.helper, g.onnx.TensorProto
    dims = [d if d is not None else n for d, n in zip(shape, AXIS_NAMES)]
    if len(shape) == 2:
        info = helper.make_tensor_value_info(IDS, types.INT64, dims)
        ids = g.op("Transpose", [IDS], "input", perm=[1, 0])               # (time, batch)
        if one_hot_input:
            return info, Flow(_one_hot(g, ids, features), features, steps=True), "int64"
        return info, Flow(ids, 0, steps=True, ids=True), "int64"
    info = helper.make_tensor_value_info(FEATURES, types.FLOAT, dims)
    x = g.op("Transpose", [FEATURES], "input", perm=[1, 0, 2])              # (time, batch, F)
    return info, Flow(x, shape[-1], steps=True), "float32"


def _output_name(model) -> str:
    last = model.layers[-1]
    ends_in_probabilities = (type(last) is Dense and last.activation in ("sigmoid", "softmax"))
    return PROBABILITIES if ends_in_probabilities else OUTPUTS


def build_graph(model, opset: int = OPSET, one_hot_input: bool = False, input_signature=None):
    """(the checked ``onnx.ModelProto`` of ``model``, its ``Signature``)."""
    if not model.layers or not model.built:
        raise NotExportableError(f"{_model_name(model)} is not built, so it has no weights to "
                                 f"export; add an Input, call build((None, …)) or fit it first")
    if not model.graph.is_chain:
        raise NotExportableError(f"{_model_name(model)} is a graph of layers (branches, merges "
                                 f"or a layer called twice); the ONNX export writes chains of "
                                 f"layers: save it as a Keras file instead (model.save, or "
                                 f"rnnkit export --format keras)")
    g = GraphBuilder()
    if not MIN_OPSET <= opset <= g.onnx.defs.onnx_opset_version():
        raise ValueError(f"opset_version={opset} is outside what this export writes and the "
                         f"installed onnx knows: {MIN_OPSET}…{g.onnx.defs.onnx_opset_version()}")
    # a text-encoding layer first (strings → ids) stays outside the graph: the graph starts at
    # the ids, and the encoding is written beside it (workflow/export.py)
    built = model.compute_input_shape
    features = built[-1] if len(built) == 3 else None
    shape = _input_shape(model, input_signature, one_hot_input)
    info, flow, dtype = _graph_input(g, shape, one_hot_input, features)
    for layer in model.compute_layers:
        flow = export_layer(g, layer, flow)
    if flow.steps or flow.ids:
        raise NotExportableError(f"{_model_name(model)} outputs one vector per time step (a "
                                 f"recurrent layer with return_sequences=True at the top); the "
                                 f"export needs one output per sequence")
    name = _output_name(model)
    g.nodes.append(g.onnx.helper.make_node("Identity", [flow.value], [name], name="output"))
    output = g.onnx.helper.make_tensor_value_info(name, g.onnx.TensorProto.FLOAT,
                                                  [shape[0] or "batch", flow.width])
    proto = g.model(model.name, [info], [output], opset,
                    doc=f"rnnkit {type(model).__name__} {model.name!r}: {len(model.compute_layers)} layers")
    g.onnx.checker.check_model(proto, full_check=True)
    return proto, Signature(info.name, dtype, shape, name, (shape[0], flow.width))
