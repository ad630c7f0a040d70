"""GlobalMaxPooling1D, GlobalAveragePooling1D and MaxPooling1D as torch modules (autograd's
backward); masks as the description layers handle them (layers/pooling.py)."""

from __future__ import annotations

from ...layers import windows
from .parameters import KerasParameters
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn
F = torch.nn.functional


class EndMask:
    """Mixin: no mask leaves this layer (Keras drops it, or the layer consumed it)."""

    def compute_mask(self, x, mask):
        return None


class _Pooling(EndMask, KerasParameters, nn.Module):
    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def _float(self, x):
        return x.to(getattr(torch, self.layer.dtype))

    def _keep(self, y):
        return y.unsqueeze(1) if self.layer.keepdims else y


class TorchGlobalMaxPooling1D(_Pooling):
    """max over the time axis, every step (Keras ignores the mask)."""

    def forward(self, x, mask=None):
        return self._keep(self._float(x).max(dim=1).values)


class TorchGlobalAveragePooling1D(_Pooling):
    """Σ_t m_t x_t / Σ_t m_t, or the plain mean without a mask."""

    def forward(self, x, mask=None):
        x = self._float(x)
        if mask is None:
            return self._keep(x.mean(dim=1))
        m = mask.to(x.dtype).unsqueeze(-1)
        return self._keep(torch.where(m > 0, x, 0).sum(dim=1) / m.sum(dim=1))


class TorchMaxPooling1D(_Pooling):
    """torch's max_pool1d over (batch, channels, time), padded with −∞ by the shared rule."""

    def forward(self, x, mask=None):
        layer = self.layer
        x = self._float(x).transpose(1, 2)
        left, right = windows.pads(x.shape[-1], layer.pool_size, layer.strides, layer.padding)
        x = F.pad(x, (left, right), value=float("-inf"))
        return F.max_pool1d(x, layer.pool_size, layer.strides).transpose(1, 2)
