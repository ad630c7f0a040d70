"""LayerNormalization as a torch module (autograd's backward); the mask passes on."""

from __future__ import annotations

from .core import PassMask
from .parameters import KerasParameters
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn


class TorchLayerNormalization(PassMask, KerasParameters, nn.Module):
    """(x − μ)/√(σ² + ε)·γ + β over the description's axes (σ² the population variance)."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def forward(self, x, mask=None):
        layer = self.layer
        x = x.to(getattr(torch, layer.dtype))
        axes = tuple(a % x.ndim for a in layer.axis)
        var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        y = (x - mean) * torch.rsqrt(var + layer.epsilon)
        shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
        if layer.scale:
            y = y * self.gamma.reshape(shape)
        if layer.center:
            y = y + self.beta.reshape(shape)
        return y
