"""Keras's update rules applied to torch parameters, with the rnnkit optimizer's own state.

torch.optim is not used: its RMSprop adds ε outside the square root (w −= lr·g/(√v + ε)) where
Keras adds it inside (√(v + ε)), and its Adam adds ε to the bias-corrected √v̂ where Keras folds
the correction into the step size (α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), then α·m/(√v + ε)). Both differ
from Keras by more than rounding early in training. Instead the rnnkit optimizer's own rule
(``Optimizer.step``, written once for NumPy arrays and torch tensors alike) runs on the tensors,
given ``OPS`` (ops.py), the torch spelling of the few operations the two libraries name differently.

State lives in the rnnkit optimizer (``iterations``, ``learning_rate``, ``slots``), so a
ReduceLROnPlateau callback, saving and loading see one optimizer whichever engine trains. On the
CPU the torch slots share memory with its NumPy slots; elsewhere ``push_state`` copies them back.
"""

from __future__ import annotations

import numpy as np

from ... import optimizers as rk
from .ops import OPS
from .torch_import import import_torch

torch = import_torch()




class KerasRule:
    """Runs ``optimizer``'s rule on ``params`` (torch tensors, Keras order and layout)."""

    def __init__(self, optimizer: rk.Optimizer, params: list, host_params: list[np.ndarray],
                 share: bool):
        self.opt, self.params, self.share = optimizer, params, share
        if not optimizer.built:
            optimizer.build(host_params)
        self.slots = {name: [self._tensor(s, p) for s, p in zip(arrays, params)]
                      for name, arrays in optimizer.slots.items()}

    def _tensor(self, array, like):
        t = torch.from_numpy(array) if self.share else torch.tensor(array)
        return t.to(like.device)

    def push_state(self) -> None:
        """Copy the slots back into the rnnkit optimizer (needed only when not shared)."""
        if self.share:
            return
        for name, tensors in self.slots.items():
            for dst, t in zip(self.opt.slots[name], tensors):
                dst[...] = t.detach().cpu().numpy()

    @torch.no_grad()
    def step(self, grads: list) -> None:
        """Update the parameters in place from ``grads`` (same order), as ``Optimizer.apply``."""
        self.opt.step(OPS, grads, self.params, self.slots)
