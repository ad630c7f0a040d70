"""Embedding, Dense and Dropout as ONNX nodes (Dropout is the identity at inference)."""

from __future__ import annotations

from ..layers.core import Dense, Dropout, Embedding
from . import masking
from .activations import apply_dense
from .errors import NotExportableError
from .flow import Flow


def owner(layer) -> str:
    """How errors name a layer: ``layer 'gru' (GRU)``."""
    return f"layer {layer.name!r} ({type(layer).__name__})"


def embedding(g, layer: Embedding, flow: Flow) -> Flow:
    """Rows of E for the (time, batch) ids; with ``mask_zero`` the mask is ids ≠ 0."""
    if not flow.ids:
        raise NotExportableError(f"{owner(layer)} must be the model's first layer: it reads "
                                 f"token ids")
    hint = layer.name
    rows = g.op("Gather", [g.weight(layer.embeddings, f"{hint}/embeddings"), flow.value], hint,
                axis=0)
    mask = None
    if layer.mask_zero:
        mask = masking.nonzero(g, flow.value, hint)
    return Flow(rows, layer.output_dim, steps=True, mask=mask)


def dense(g, layer: Dense, flow: Flow) -> Flow:
    """activation(x·W + b) on the last axis, per step if x still has one (the mask passes on)."""
    if flow.ids:
        raise NotExportableError(f"{owner(layer)} reads token ids; start the model with an "
                                 f"Embedding")
    hint = layer.name
    z = g.op("MatMul", [flow.value, g.weight(layer.kernel, f"{hint}/kernel")], hint)
    if layer.use_bias:
        z = g.op("Add", [z, g.weight(layer.bias, f"{hint}/bias")], hint)
    return flow.to(apply_dense(g, layer.activation, z, owner(layer)), width=layer.units)


def dropout(g, layer: Dropout, flow: Flow) -> Flow:
    return flow


LAYERS = {Embedding: embedding, Dense: dense, Dropout: dropout}
