"""Trainable parameters in Keras's layout, adopted from the description layer.

A torch module built from a layer registers one ``nn.Parameter`` per Keras weight, same name,
same shape, same order. On the CPU the parameter *shares memory* with the layer's NumPy array
(``torch.from_numpy``): an optimizer step in torch is at once visible to the description (and to
saving), and ``layer.set_weights`` is at once visible to torch. On another device the parameter
is a copy, synchronised by the engine (``TorchNetwork.load_from_layers`` / ``write_to_layers``).
"""

from __future__ import annotations

import numpy as np

from .torch_import import import_torch

torch = import_torch()
nn = torch.nn


class KerasParameters:
    """Mixin for ``nn.Module``: ``adopt(layer)`` registers the layer's weights as parameters."""

    def adopt(self, layer, share: bool = True) -> None:
        self.keras_names = [name.replace("/", "_") for name in layer.weight_names]
        for name, array in zip(self.keras_names, layer.params(), strict=True):
            tensor = torch.from_numpy(array) if share else torch.tensor(array)
            self.register_parameter(name, nn.Parameter(tensor, requires_grad=layer.trainable))

    def keras_parameters(self) -> list:
        """The parameters in Keras's weight order."""
        return [getattr(self, name) for name in self.keras_names]

    def load_keras(self, weights: list[np.ndarray]) -> None:
        with torch.no_grad():
            for p, w in zip(self.keras_parameters(), weights):
                p.copy_(torch.as_tensor(np.asarray(w)))

    def keras_weights(self) -> list[np.ndarray]:
        return [p.detach().cpu().numpy().copy() for p in self.keras_parameters()]

    def keras_grads(self) -> list[np.ndarray]:
        """dL/dw of the latest backward pass, Keras layout (zeros where nothing flowed)."""
        return [(torch.zeros_like(p) if p.grad is None else p.grad).detach().cpu().numpy()
                for p in self.keras_parameters()]
