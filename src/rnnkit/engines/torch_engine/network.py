"""A model's graph of description layers as one torch module: one module per layer (a shared
layer is one module called twice), run by the same graph walk as the NumPy engine, so masks
flow the same way; autograd sums the gradients of a tensor read twice."""

from __future__ import annotations

import numpy as np

from ... import layers as L
from ...functional.graph import Graph
from ...functional.walk import run_graph
from ...layers.merging import Merge
from .bidirectional import TorchBidirectional
from .convolution import TorchConv1D
from .core import (
    TorchActivation,
    TorchDense,
    TorchDropout,
    TorchEmbedding,
    TorchFlatten,
    TorchInput,
    TorchMasking,
)
from .dropout_masks import NumpyMasks
from .merging import TorchMerge
from .normalization import TorchLayerNormalization
from .pooling import (
    TorchGlobalAveragePooling1D,
    TorchGlobalMaxPooling1D,
    TorchMaxPooling1D,
)
from .recurrent import TorchRecurrent
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn

# A subclass takes its base's module (SpatialDropout1D is a Dropout, LSTM an RNN).
_BUILDERS = [(L.InputLayer, TorchInput), (L.Embedding, TorchEmbedding), (L.Dense, TorchDense),
             (L.Dropout, TorchDropout), (L.Bidirectional, TorchBidirectional),
             (L.RNN, TorchRecurrent), (L.Conv1D, TorchConv1D),
             (L.GlobalMaxPooling1D, TorchGlobalMaxPooling1D),
             (L.GlobalAveragePooling1D, TorchGlobalAveragePooling1D),
             (L.MaxPooling1D, TorchMaxPooling1D), (L.LayerNormalization, TorchLayerNormalization),
             (L.Activation, TorchActivation), (L.Masking, TorchMasking), (L.Flatten, TorchFlatten),
             (Merge, TorchMerge)]


def build_module(layer, masks=None, share: bool = True) -> nn.Module:
    """The torch module for one built description layer.

    ``share``: its parameters share memory with the layer's arrays (CPU); else they are copies.
    """
    if not layer.built:
        raise ValueError(f"layer {layer.name!r} is not built yet; build the model before "
                         f"handing it to the torch engine")
    if hasattr(layer, "torch_module"):      # a layer defined outside rnnkit brings its own
        return layer.torch_module(masks or NumpyMasks(), share)
    for desc_type, module_type in _BUILDERS:
        if isinstance(layer, desc_type):
            return module_type(layer, masks or NumpyMasks(), share)
    raise TypeError(f"the torch engine has no module for {type(layer).__name__}; expected one "
                    f"of {', '.join(t.__name__ for t, _ in _BUILDERS)}")


class TorchNetwork(nn.Module):
    """``graph`` (functional/graph.py; a list of layers is a chain) as torch modules;
    ``forward(x)`` returns the output (a list for several; ``x`` a list for several inputs).

    The training-mode switch is torch's (``.train()`` / ``.eval()``): dropout and the
    training-only scripted paths follow it.
    """

    def __init__(self, graph, masks=None, share: bool = True):
        super().__init__()
        self.graph = graph if isinstance(graph, Graph) else Graph.chain(graph)
        self.descriptions = list(self.graph.layers)
        self.blocks = nn.ModuleList([build_module(layer, masks, share)
                                     for layer in self.descriptions])

    def forward(self, x, mask=None):
        """``mask``: the input's mask (a list for several inputs), for a graph that starts
        behind the layer that made it (rnnkit.insight runs the layers after an Embedding)."""
        # a list is several graph inputs, or the one input of a chain led by a merge
        several = len(self.graph.inputs) > 1
        inputs = list(x) if several else [x]
        masks = None if mask is None else list(mask) if several else [mask]
        outputs = run_graph(self.graph, self.blocks, inputs,
                            lambda block, x, mask: (block(x, mask), None), masks)[0]
        return outputs[0] if len(outputs) == 1 else outputs

    def output_logits(self, step: int):
        """The pre-activation output of graph step ``step`` (a Dense, the one a loss fuses
        with), from the latest call: a shared Dense keeps its last call's, and the output's
        step is the graph's last."""
        block = self.blocks[self.graph.steps[step].unit]
        return block.logits if isinstance(block, TorchDense) else None

    # ---- weights in Keras layout ---------------------------------------------------------------
    def keras_parameters(self) -> list:
        """Every parameter, layer by layer in Keras's weight order (the model's ``weights``)."""
        return [p for block in self.blocks for p in block.keras_parameters()]

    def load_from_layers(self) -> None:
        """Copy every description layer's current weights into the torch parameters."""
        for layer, block in zip(self.descriptions, self.blocks):
            block.load_keras(layer.params())

    def write_to_layers(self) -> None:
        """Copy the torch parameters back into the description layers (Keras layout)."""
        for layer, block in zip(self.descriptions, self.blocks):
            weights = block.keras_weights()
            if weights:
                layer.set_weights(weights)

    def keras_grads(self) -> list[list[np.ndarray]]:
        """Per layer, dL/dw of the latest backward pass in Keras layout and order."""
        return [block.keras_grads() for block in self.blocks]

    def trainable_parameters(self) -> list:
        """What the optimizer updates: trainable layers' weights, in the model's Keras order."""
        return [p for layer, block in zip(self.descriptions, self.blocks) if layer.trainable
                for p in block.keras_parameters()]
