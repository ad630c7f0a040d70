"""Embedding, Dense, Dropout, Input, Activation, Masking and Flatten as torch modules built
from their descriptions.

Every module has ``forward(x, mask)`` and ``compute_mask(x, mask)`` like the description layers;
weighted ones hold their Keras-layout weights as parameters (parameters.py).
"""

from __future__ import annotations

from . import weight_mapping as wm
from .activations import get as activation
from .parameters import KerasParameters
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn
F = torch.nn.functional


class PassMask:
    """Mixin: the mask flows through unchanged (Dense, Dropout, Input)."""

    def compute_mask(self, x, mask):
        return mask


class TorchInput(PassMask, KerasParameters, nn.Module):
    """The Input layer: nothing to compute."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def forward(self, x, mask=None):
        return x


class TorchEmbedding(KerasParameters, nn.Module):
    """ids (batch, time) int → vectors (batch, time, dim); mask = ids ≠ 0 with ``mask_zero``."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def forward(self, x, mask=None):
        return F.embedding(x.long(), **wm.embedding_to_torch(self.keras_parameters()))

    def compute_mask(self, x, mask):
        return x != 0 if self.layer.mask_zero else None


class TorchDense(PassMask, KerasParameters, nn.Module):
    """y = activation(x·W + b); the logits z stay on ``self.logits`` for fused losses."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)
        self.activation = activation(layer.activation)
        self.logits = None

    def forward(self, x, mask=None):
        self.logits = F.linear(x.to(self.kernel.dtype),
                               **wm.dense_to_torch(self.keras_parameters()))
        return self.activation(self.logits)


class TorchDropout(PassMask, KerasParameters, nn.Module):
    """Inverted dropout with the description's rate and noise_shape; masks from ``masks``."""

    def __init__(self, layer, masks, share: bool = True):
        super().__init__()
        self.layer, self.masks = layer, masks
        self.adopt(layer, share)

    def forward(self, x, mask=None):
        layer = self.layer
        x = x.to(getattr(torch, layer.dtype))
        if not self.training or layer.rate == 0.0:
            return x
        shape = tuple(x.shape) if layer.noise_shape is None else tuple(
            s if n is None else n for s, n in zip(x.shape, layer.noise_shape))
        return x * self.masks.draw(layer, shape, layer.rate)


class TorchActivation(PassMask, KerasParameters, nn.Module):
    """y = activation(x), the description's activation as a torch function."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)
        self.activation = activation(layer.activation)

    def forward(self, x, mask=None):
        return self.activation(x.to(getattr(torch, self.layer.dtype)))


class TorchMasking(KerasParameters, nn.Module):
    """Zeroes the steps whose features all equal mask_value; their absence is the new mask."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def compute_mask(self, x, mask):
        return (x != self.layer.mask_value).any(dim=-1)

    def forward(self, x, mask=None):
        x = x.to(getattr(torch, self.layer.dtype))
        return torch.where(self.compute_mask(x, mask).unsqueeze(-1), x, 0)


class TorchFlatten(KerasParameters, nn.Module):
    """(batch, …) → (batch, product of the rest); the mask ends here, as in Keras."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def compute_mask(self, x, mask):
        return None

    def forward(self, x, mask=None):
        return x.to(getattr(torch, self.layer.dtype)).flatten(1)
