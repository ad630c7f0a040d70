"""Bidirectional on torch: two TorchRecurrent directions, merged as the description says."""

from __future__ import annotations

import numpy as np

from ...layers.merge import MERGES
from .recurrent import TorchRecurrent
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn


def _concat(parts):
    return torch.cat(parts, dim=-1)


class TorchBidirectional(nn.Module):
    """Forward and backward directions; with ``return_sequences`` the backward outputs are
    flipped back into time order before the merge ('concat', 'sum', 'mul', 'ave' or None)."""

    def __init__(self, layer, masks, share: bool = True):
        super().__init__()
        self.layer = layer
        self.forward_rnn = TorchRecurrent(layer.forward_layer, masks, share)
        self.backward_rnn = TorchRecurrent(layer.backward_layer, masks, share)

    def forward(self, x, mask=None):
        y_f = self.forward_rnn(x, mask)
        y_b = self.backward_rnn(x, mask)
        states = []
        if self.layer.return_state:
            (y_f, *s_f), (y_b, *s_b) = y_f, y_b
            states = s_f + s_b
        if self.layer.return_sequences:
            y_b = y_b.flip(1)
        merged = self._merge(y_f, y_b)
        return [merged, *states] if self.layer.return_state else merged

    def _merge(self, y_f, y_b):
        """The description's merge (layers/merge.py); autograd differentiates it."""
        return MERGES[self.layer.merge_mode].forward([y_f, y_b], _concat)

    def compute_mask(self, x, mask):
        return mask if self.layer.return_sequences else None

    # ---- weights: the forward direction's, then the backward direction's (Keras's order) ------
    def load_keras(self, weights: list[np.ndarray]) -> None:
        n = len(self.layer.forward_layer.params())
        self.forward_rnn.load_keras(weights[:n])
        self.backward_rnn.load_keras(weights[n:])

    def keras_weights(self) -> list[np.ndarray]:
        return self.forward_rnn.keras_weights() + self.backward_rnn.keras_weights()

    def keras_grads(self) -> list[np.ndarray]:
        return self.forward_rnn.keras_grads() + self.backward_rnn.keras_grads()

    def keras_parameters(self) -> list:
        return self.forward_rnn.keras_parameters() + self.backward_rnn.keras_parameters()
