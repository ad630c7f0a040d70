"""The NumPy engine: each layer's hand-written forward and backward, then the optimizer.

A train step is forward (training=True, masks flowing from layer to layer), the loss and its
gradient, backward from the last layer down to the lowest layer that has trainable weights, and
one optimizer update of every trainable weight in place.

When the output layer's activation is the one the loss fuses with (sigmoid for binary
crossentropy, softmax for the categorical ones), the gradient enters *below* the activation as
p − y through ``backward_logits`` instead of through σ' or the softmax Jacobian.
"""

from __future__ import annotations

import numpy as np

from .base import Engine


class NumpyEngine(Engine):
    """Runs a Sequential model's layers on NumPy arrays."""

    name = "numpy"

    # ---- the step the training loop asks for (eval and predict: Engine) ----------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One optimizer step on one batch; returns the loss before the update and the outputs."""
        y_pred = self.forward(x, training=True)
        loss = self.model.loss
        y_true, y_pred = loss.standardize(y, y_pred)
        value = loss.value(y_true, y_pred)
        self._backward(loss, y_true, y_pred)
        layers = [layer for layer in self.model.layers
                  if self.model.trainable and layer.trainable and layer.params()]
        params = [p for layer in layers for p in layer.params()]
        grads = [g for layer in layers for g in layer.grads]
        self.model.optimizer.apply(grads, params)
        return value, y_pred

    # ---- passes ------------------------------------------------------------------------------------
    def forward(self, x, training: bool):
        mask = None
        for layer in self.model.layers:
            out = layer.forward(x, training=training, mask=mask)
            mask = layer.compute_mask(x, mask)
            x = out
        return x

    def _backward(self, loss, y_true, y_pred) -> None:
        layers = self.model.layers
        lowest = next((i for i, layer in enumerate(layers)
                       if self.model.trainable and layer.trainable and layer.params()),
                      len(layers))
        last = layers[-1]
        if loss.fused_activation is not None and \
                getattr(last, "activation", None) == loss.fused_activation and \
                hasattr(last, "backward_logits"):
            d = last.backward_logits(loss.logits_gradient(y_true, y_pred))
            below = layers[:-1]
        else:
            d = loss.gradient(y_true, y_pred)
            below = layers
        for i in reversed(range(lowest, len(below))):
            d = below[i].backward(d)
