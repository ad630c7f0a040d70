"""Embedding, Dense, Dropout and Input as torch modules built from their descriptions.

Every module here has ``forward(x, mask)`` and ``compute_mask(x, mask)`` like the description
layers, plus ``load_keras`` / ``keras_weights`` / ``keras_grads`` through weight_mapping.py.
"""

from __future__ import annotations

import numpy as np

from . import weight_mapping as wm
from .activations import get as activation
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn


class KerasWeights:
    """Mixin: weights in and out of ``self.inner`` through one mapping pair."""

    to_torch = staticmethod(lambda weights: {})
    to_keras = staticmethod(lambda tensors: [])

    def load_keras(self, weights: list[np.ndarray]) -> None:
        with torch.no_grad():
            for name, value in self.to_torch(weights).items():
                getattr(self.inner, name).copy_(torch.from_numpy(np.asarray(value)))

    def keras_weights(self) -> list[np.ndarray]:
        return self.to_keras({n: p.detach().cpu().numpy()
                              for n, p in self.inner.named_parameters()})

    def keras_grads(self) -> list[np.ndarray]:
        return self.to_keras({n: (torch.zeros_like(p) if p.grad is None else p.grad)
                              .detach().cpu().numpy() for n, p in self.inner.named_parameters()})


class PassMask:
    """Mixin: the mask flows through unchanged (Dense, Dropout, Input)."""

    def compute_mask(self, x, mask):
        return mask


class TorchInput(PassMask, nn.Module):
    """The Input layer: nothing to compute."""

    def __init__(self, layer, masks=None):
        super().__init__()
        self.layer = layer

    def forward(self, x, mask=None):
        return x

    def load_keras(self, weights):
        return None

    def keras_weights(self):
        return []

    keras_grads = keras_weights


class TorchEmbedding(KerasWeights, nn.Module):
    """ids (batch, time) int → vectors (batch, time, dim); mask = ids ≠ 0 with ``mask_zero``."""

    to_torch = staticmethod(wm.embedding_to_torch)
    to_keras = staticmethod(wm.embedding_to_keras)

    def __init__(self, layer, masks=None):
        super().__init__()
        self.layer = layer
        self.inner = nn.Embedding(layer.input_dim, layer.output_dim,
                                  dtype=getattr(torch, layer.dtype))
        self.load_keras(layer.get_weights())

    def forward(self, x, mask=None):
        return self.inner(x.long())

    def compute_mask(self, x, mask):
        return x != 0 if self.layer.mask_zero else None


class TorchDense(PassMask, KerasWeights, nn.Module):
    """y = activation(x·Wᵀ + b) (nn.Linear); the logits z stay on ``self.logits`` for fused losses."""

    to_torch = staticmethod(wm.dense_to_torch)
    to_keras = staticmethod(wm.dense_to_keras)

    def __init__(self, layer, masks=None):
        super().__init__()
        self.layer = layer
        self.inner = nn.Linear(layer.kernel.shape[0], layer.units, bias=layer.use_bias,
                               dtype=getattr(torch, layer.dtype))
        self.activation = activation(layer.activation)
        self.logits = None
        self.load_keras(layer.get_weights())

    def forward(self, x, mask=None):
        self.logits = self.inner(x.to(self.inner.weight.dtype))
        return self.activation(self.logits)


class TorchDropout(PassMask, nn.Module):
    """Inverted dropout with the description's rate and noise_shape; masks from ``masks``."""

    def __init__(self, layer, masks):
        super().__init__()
        self.layer, self.masks = layer, masks

    def forward(self, x, mask=None):
        layer = self.layer
        x = x.to(getattr(torch, layer.dtype))
        if not self.training or layer.rate == 0.0:
            return x
        shape = tuple(x.shape) if layer.noise_shape is None else tuple(
            s if n is None else n for s, n in zip(x.shape, layer.noise_shape))
        return x * self.masks.draw(layer, shape, layer.rate)

    def load_keras(self, weights):
        return None

    def keras_weights(self):
        return []

    keras_grads = keras_weights
