"""LayerNormalization (Ba, Kiros & Hinton, 2016), Keras 3's: each sample normalized over ``axis``.

Over the normalized axes A (the last, by default) of one sample, with n = their size:

    μ = mean_A x      σ² = mean_A (x − μ)²      r = 1/√(σ² + ε)
    x̂ = (x − μ)·r     y = γ ⊙ x̂ + β

Backward, with g = dL/dx̂ = γ ⊙ dy (the standard batch-norm derivation, over A instead of the
batch):

    dβ = Σ_(other axes) dy      dγ = Σ_(other axes) dy ⊙ x̂
    dx = r · (g − mean_A g − x̂ ⊙ mean_A(g ⊙ x̂))

Each step is normalized on its own, so padding changes nothing: the mask passes on (Keras's
``supports_masking``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import initializers as inits
from ..keras_options import KerasOptions
from .base import Layer

# Keras's deprecated rms_scaling (it scales by the variance, not the RMS): only off.
NORM_KERAS_ONLY = KerasOptions(defaults={"rms_scaling": False})


@dataclass
class LayerNormCache:
    x_hat: np.ndarray      # (x − μ)·r
    r: np.ndarray          # 1/√(σ² + ε), kept dims over A


class LayerNormalization(Layer):
    """Weights [gamma, beta] (those ``scale`` and ``center`` keep), shaped like the input's
    dimensions on ``axis``."""

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", rms_scaling: bool = False,
                 **kwargs):
        NORM_KERAS_ONLY.check("LayerNormalization", "rms_scaling", rms_scaling)
        super().__init__(**kwargs)
        if isinstance(axis, (tuple, list)):
            self.axis = sorted(int(a) for a in axis)
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(f"LayerNormalization: axis must be an int or a list of ints, "
                            f"got {axis!r}")
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = inits.get(beta_initializer)
        self.gamma_initializer = inits.get(gamma_initializer)

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        rank = len(input_shape)
        if any(not -rank < a < rank or a % rank == 0 for a in axes):
            raise ValueError(f"layer {self.name!r}: axis {self.axis} must name non-batch axes "
                             f"of inputs of shape {input_shape}")
        self.axis = sorted(axes)               # Keras keeps a sorted list once built
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(f"layer {self.name!r} normalizes over axes {self.axis}, which must "
                             f"have known sizes, got {input_shape}")
        if self.scale:
            self.add_weight("gamma", shape, self.gamma_initializer)
        if self.center:
            self.add_weight("beta", shape, self.beta_initializer)
        super().build(input_shape)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(a % ndim for a in self.axis)

    def _broadcast(self, w, ndim: int):
        """γ or β reshaped to broadcast over the axes they do not span."""
        axes = self._axes(ndim)
        return w.reshape([w.shape[axes.index(i)] if i in axes else 1 for i in range(ndim)])

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x, rank=len(self.input_shape))
        axes = self._axes(x.ndim)
        centred = x - x.mean(axis=axes, keepdims=True)
        r = 1.0 / np.sqrt((centred * centred).mean(axis=axes, keepdims=True) + self.epsilon)
        x_hat = centred * r
        y = x_hat * self._broadcast(self.gamma, x.ndim) if self.scale else x_hat
        if self.center:
            y = y + self._broadcast(self.beta, x.ndim)
        return y.astype(x.dtype, copy=False), LayerNormCache(x_hat, r)

    def backward(self, dy, cache: LayerNormCache):
        """(dx, [dγ, dβ]) by the equations in the module docstring."""
        ndim, x_hat = dy.ndim, cache.x_hat
        axes = self._axes(ndim)
        others = tuple(i for i in range(ndim) if i not in axes)
        g = dy * self._broadcast(self.gamma, ndim) if self.scale else dy
        dx = cache.r * (g - g.mean(axis=axes, keepdims=True)
                        - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
        grads = []
        if self.scale:
            grads.append((dy * x_hat).sum(axis=others).reshape(self.gamma.shape))
        if self.center:
            grads.append(dy.sum(axis=others).reshape(self.beta.shape))
        return dx, grads

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, "rms_scaling": False,
                "beta_initializer": inits.serialize(self.beta_initializer),
                "gamma_initializer": inits.serialize(self.gamma_initializer)}
