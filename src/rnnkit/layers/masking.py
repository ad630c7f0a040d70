"""Masking: a step whose features all equal ``mask_value`` is padding, as Keras 3 decides it.

    m_t = any_c (x_tc ≠ mask_value)      y_t = x_t if m_t else 0      dL/dx_t = m_t · dL/dy_t

The mask m goes to the next layer (an incoming mask is replaced, as in Keras).
"""

from __future__ import annotations

import numpy as np

from .base import Layer


class Masking(Layer):
    """Makes the (batch, time) mask from the values; padded steps come out as zeros."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.number)):
            raise TypeError(f"Masking: mask_value must be a number, got {mask_value!r}")
        self.mask_value = float(mask_value)

    def _steps(self, x) -> np.ndarray:
        return np.any(np.asarray(x) != self.mask_value, axis=-1)

    def compute_mask(self, x, mask):
        return self._steps(x)

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x)
        keep = self._steps(x)[..., None]
        return np.where(keep, x, 0).astype(x.dtype, copy=False), keep

    def backward(self, dy, cache):
        """dL/dx = dL/dy on real steps, 0 on padded ones (``cache`` is m, (…, 1))."""
        return np.where(cache, dy, 0).astype(dy.dtype, copy=False), []

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
