"""The layer exporters, one table keyed by the exact layer class.

An exporter is ``(builder, layer, flow) -> flow``: it adds the layer's nodes and says what the
next layer receives (flow.py). A class that is not in the table — a layer of the user's, or a
subclass that may compute something else — is refused by name rather than exported as its
parent.
"""

from __future__ import annotations

from . import core, recurrent
from .errors import NotExportableError
from .flow import Flow

LAYERS = {**core.LAYERS, **recurrent.LAYERS}


def export_layer(g, layer, flow: Flow) -> Flow:
    export = LAYERS.get(type(layer))
    if export is None:
        known = ", ".join(sorted({cls.__name__ for cls in LAYERS}))
        raise NotExportableError(f"{core.owner(layer)} cannot be exported to ONNX: no exporter "
                                 f"for {type(layer).__name__} (rnnkit exports {known})")
    return export(g, layer, flow)
