"""The two ways an ONNX export can fail before anything is written, each said in one line."""

from __future__ import annotations

from ..errors import UserError


class NotExportableError(UserError, ValueError):
    """The model holds something ONNX cannot express exactly (a layer, a cell, an option)."""


class OnnxMissingError(UserError, ImportError):
    """The ``onnx`` package, which writes the graph, is not installed."""


def import_onnx():
    """The ``onnx`` module, imported on first use so that ``import rnnkit`` never needs it."""
    try:
        import onnx
    except ImportError:
        raise OnnxMissingError('ONNX export needs the onnx package: pip install "rnnkit[onnx]"') \
            from None
    return onnx
