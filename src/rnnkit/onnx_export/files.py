"""``Sequential.export``: Keras 3's method, writing the one format rnnkit has, ONNX."""

from __future__ import annotations

import os

from ..atomic import atomic_path
from .model import OPSET, Signature, build_graph

#: the formats Keras 3's export knows; rnnkit writes "onnx" alone (the others need TensorFlow,
#: OpenVINO, LiteRT or Keras's torch backend)
KERAS_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")


def check_format(format) -> None:
    if format != "onnx":
        other = f"Keras's format {format!r}" if format in KERAS_FORMATS else f"format {format!r}"
        raise ValueError(f"rnnkit cannot write {other}; it exports ONNX: pass format=\"onnx\"")


def export_model(model, filepath, format="tf_saved_model", verbose=True, input_signature=None,
                 opset_version=None, one_hot_input=False) -> Signature:
    """Write ``model`` as an ONNX file at ``filepath`` (replaced atomically if it exists) and
    return the graph's ``Signature``; ``verbose`` prints where and what, in one line."""
    check_format(format)
    proto, signature = build_graph(model, OPSET if opset_version is None else int(opset_version),
                                   one_hot_input=bool(one_hot_input),
                                   input_signature=input_signature)
    write(proto, filepath)
    if verbose:
        print(f"Saved the ONNX model at {os.fspath(filepath)} ({size_text(filepath)}): "
              f"{signature.describe()}")
    return signature


def size_text(path) -> str:
    size = os.path.getsize(path)
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} kB"


def write(proto, filepath, overwrite: bool = True) -> None:
    """``proto`` serialized to ``filepath`` atomically (a reader never sees half a file)."""
    with atomic_path(filepath, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        f.write(proto.SerializeToString())
