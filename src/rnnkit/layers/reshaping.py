"""Flatten: (batch, d₁, d₂, …) → (batch, d₁·d₂·…), Keras's row-major order.

The backward pass is the inverse reshape, dx = dy reshaped to x's shape. Keras's Flatten does
not support masking: a mask ends here.
"""

from __future__ import annotations

import math

import numpy as np

from .base import Layer
from .pooling import CHANNELS_LAST


class Flatten(Layer):
    """Every axis but the batch axis into one; a time axis must have a known length for the
    next layer's weights (as in Keras: ``Input(shape=(T,))``)."""

    def __init__(self, data_format=None, **kwargs):
        CHANNELS_LAST.check("Flatten", "data_format", data_format)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape):
        dims = input_shape[1:]
        size = None if any(d is None for d in dims) else math.prod(dims)
        return (input_shape[0], size)

    def compute_mask(self, x, mask):
        return None

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x)
        return x.reshape(len(x), -1), x.shape

    def backward(self, dy, cache):
        """dL/dx = dL/dy reshaped back (``cache`` is the input's shape)."""
        return np.reshape(dy, cache), []

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last"}
