"""Activation: y = f(x) elementwise (softmax over the last axis), as its own layer.

dL/dx = f'(x) ⊙ dL/dy with f' written from y (activations.py), or softmax's Jacobian-vector
product. The mask passes on (Keras's ``supports_masking``).
"""

from __future__ import annotations

from .. import activations
from .base import Layer


class Activation(Layer):
    """``Activation("relu")``: one of rnnkit's activations (``activations.ALL_NAMES``)."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.normalize(activation)

    def forward_train(self, x, training=True, mask=None):
        y = activations.apply(self.activation, self._float_input(x))
        return y, y

    def backward(self, dy, cache):
        """dL/dx from dL/dy (``cache`` is y)."""
        return activations.apply_backward(self.activation, cache, dy), []

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}
