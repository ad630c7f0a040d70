"""A stack of description layers as one torch module: masks flow as in the NumPy engine."""

from __future__ import annotations

import numpy as np

from ... import layers as L
from ...layers.merging import Merge
from ...layers.stack import run_stack
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
    for desc_type, module_type in _BUILDERS:
        if isinstance(layer, desc_type):
            return module_type(layer, masks or NumpyMasks(), share)
    raise TypeError(f"the torch engine has no module for {type(layer).__name__}; expected one "
                    f"of {', '.join(t.__name__ for t, _ in _BUILDERS)}")


class TorchNetwork(nn.Module):
    """``layers`` run in order; ``forward(x)`` returns the last layer's output.

    The training-mode switch is torch's (``.train()`` / ``.eval()``): dropout and the
    training-only scripted paths follow it.
    """

    def __init__(self, layers: list, masks=None, share: bool = True):
        super().__init__()
        self.descriptions = list(layers)
        self.blocks = nn.ModuleList([build_module(layer, masks, share) for layer in layers])

    def forward(self, x):
        return run_stack(self.blocks, x, lambda block, x, mask: (block(x, mask), None))[0]

    @property
    def output_logits(self):
        """The last Dense layer's pre-activation output of the latest call (fused losses)."""
        last = self.blocks[-1]
        return last.logits if isinstance(last, TorchDense) else None

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
