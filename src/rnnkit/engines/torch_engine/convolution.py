"""Conv1D as a torch module: torch's conv1d on Keras-layout weights (autograd's backward)."""

from __future__ import annotations

from . import weight_mapping as wm
from .activations import get as activation
from .parameters import KerasParameters
from .pooling import EndMask
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn
F = torch.nn.functional


class TorchConv1D(EndMask, KerasParameters, nn.Module):
    """Zero-pads time by the description's rule (valid, same, causal), then conv1d."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)
        self.activation = activation(layer.activation)

    def forward(self, x, mask=None):
        layer = self.layer
        x = x.to(self.kernel.dtype).transpose(1, 2)            # (B, C_in, T), torch's layout
        x = F.pad(x, layer.pads(x.shape[-1]))
        z = F.conv1d(x, **wm.conv1d_to_torch(self.keras_parameters()), stride=layer.strides,
                     dilation=layer.dilation_rate)
        return self.activation(z.transpose(1, 2))
