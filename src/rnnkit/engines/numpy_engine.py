"""The NumPy engine: each layer's hand-written forward and backward, then the optimizer.

A train step is forward (training=True, masks flowing from layer to layer), the loss and its
gradient, backward from the last layer down to the lowest layer that has trainable weights, and
one optimizer update of every trainable weight in place.

When the output layer's activation is the one the loss fuses with (sigmoid for binary
crossentropy, softmax for the categorical ones), the gradient enters *below* the activation as
p − y through ``backward_logits`` instead of through σ' or the softmax Jacobian.

The step holds every layer's cache (``forward_train``) and gradients (``backward``) itself;
``forward`` (evaluate, predict, ``model(x)``) runs each layer's plain ``forward`` and writes
nothing on the model or its layers, so predictions may run from many threads at once.
"""

from __future__ import annotations

import numpy as np

from ..layers.stack import run_stack
from .base import Engine


class NumpyEngine(Engine):
    """Runs a Sequential model's layers on NumPy arrays."""

    name = "numpy"

    def __init__(self, model):
        super().__init__(model)
        self._held_caches = None   # see _hold_until_next_forward

    # ---- the step the training loop asks for (eval and predict: Engine) ----------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray,
                   sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """One optimizer step on one batch; returns the loss before the update and the outputs.
        ``sample_weight`` scales each sample's loss and so its gradient (losses.py)."""
        y_pred, caches = self.forward_train(x)
        self._hold_until_next_forward(caches)
        loss = self.model.loss
        y_true, y_pred = loss.standardize(y, y_pred)
        value = loss.value(y_true, y_pred, sample_weight)
        layer_grads = self._backward(loss, (y_true, y_pred, sample_weight), caches)
        params, grads = [], []
        for layer, g in zip(self.model.compute_layers, layer_grads):
            if self.model.trainable and layer.trainable and layer.params():
                params += layer.params()
                grads += g
        self.model.optimizer.apply(grads, params)
        return value, y_pred

    def _hold_until_next_forward(self, caches) -> None:
        """Keep this step's caches until the next step's forward has made its own.

        Freed all together at the end of a step, tens of MB of caches leave the top of the heap
        free, glibc returns it to the OS and the next step faults every page in again: W5
        (LSTM(32), T=500, B=128) took 16000 minor page faults and 140 ms per step, against 1600
        and 95 ms while each layer kept its last cache (freed as the next forward replaced it,
        which this restores). Training only: inference keeps nothing anywhere."""
        self._held_caches = caches

    # ---- passes ------------------------------------------------------------------------------------
    def forward(self, x, training: bool):
        """The outputs; nothing kept (``training`` only switches dropout on)."""
        return run_stack(self.model.compute_layers, x, lambda layer, x, mask: (
            layer.forward(x, training=training, mask=mask), None))[0]

    def forward_train(self, x):
        """(outputs, one cache per layer), in training mode."""
        return run_stack(self.model.compute_layers, x, lambda layer, x, mask: layer.forward_train(
            x, training=True, mask=mask))

    def _backward(self, loss, batch, caches) -> list:
        """Each layer's weight gradients (None below the lowest layer with trainable weights,
        where backward stops); ``batch`` is (y_true, y_pred, sample_weight)."""
        layers = self.model.compute_layers
        grads: list = [None] * len(layers)
        lowest = next((i for i, layer in enumerate(layers)
                       if self.model.trainable and layer.trainable and layer.params()),
                      len(layers))
        last = layers[-1]
        top = len(layers)
        if loss.fuses_with_layer(last):
            # dL/dz = p − y enters below the activation (the cache holds z)
            d, grads[-1] = last.backward_logits(loss.logits_gradient(*batch), caches[-1])
            top -= 1
        else:
            d = loss.gradient(*batch)
        for i in reversed(range(lowest, top)):
            d, grads[i] = layers[i].backward(d, caches[i])
        return grads
