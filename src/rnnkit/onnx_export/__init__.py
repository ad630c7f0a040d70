"""ONNX export: a built ``Sequential`` as one ONNX graph that onnxruntime runs.

``model.export("model.onnx", format="onnx")`` (Keras 3's method) or ``build_graph(model)`` for
the ``onnx.ModelProto``. The graph reads token ids (or the model's float input), runs the
recurrent layers as ONNX's RNN/LSTM/GRU operators — masks included, exactly — and outputs the
model's probabilities. What ONNX cannot express exactly is refused in one line
(``NotExportableError``), never approximated. ``onnx`` is imported on first use.

Modules: ``graph`` (the node builder), ``flow`` (what passes between layers), ``layers`` (the
exporter table) with ``core`` and ``recurrent``, ``cells`` (cell → operator and weights),
``masking`` (Keras's masks as ``sequence_lens``), ``activations``, ``model`` (the whole graph),
``files`` (``Sequential.export``).
"""

from .errors import NotExportableError, OnnxMissingError
from .files import export_model
from .model import OPSET, Signature, build_graph

__all__ = ["OPSET", "NotExportableError", "OnnxMissingError", "Signature", "build_graph",
           "export_model"]
