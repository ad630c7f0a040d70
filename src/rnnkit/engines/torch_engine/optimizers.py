"""Keras's update rules applied to torch parameters, with the rnnkit optimizer's own state.

torch.optim is not used: its RMSprop adds ε outside the square root (w −= lr·g/(√v + ε)) where
Keras adds it inside (√(v + ε)), and its Adam adds ε to the bias-corrected √v̂ where Keras folds
the correction into the step size (α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), then α·m/(√v + ε)). Both differ
from Keras by more than rounding early in training, so each rule is written out here, operation
for operation as rnnkit.optimizers (which matches Keras 3), on torch tensors.

State lives in the rnnkit optimizer (``iterations``, ``learning_rate``, ``slots``), so a
ReduceLROnPlateau callback, saving and loading see one optimizer whichever engine trains. On the
CPU the torch slots share memory with its NumPy slots; elsewhere ``push_state`` copies them back.
"""

from __future__ import annotations

import numpy as np

from ... import optimizers as rk
from .torch_import import import_torch

torch = import_torch()


class KerasRule:
    """Runs ``optimizer``'s rule (SGD, RMSprop or Adam) on ``params`` (Keras order and layout)."""

    def __init__(self, optimizer: rk.Optimizer, params: list, host_params: list[np.ndarray],
                 share: bool):
        if not isinstance(optimizer, (rk.SGD, rk.RMSprop, rk.Adam)):
            raise TypeError(f"the torch engine runs SGD, RMSprop and Adam, got "
                            f"{type(optimizer).__name__}")
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

    # ---- one step ---------------------------------------------------------------------------------
    @torch.no_grad()
    def step(self, grads: list) -> None:
        """Update the parameters in place from ``grads`` (same order), as ``Optimizer.apply``."""
        opt = self.opt
        grads = self._clip([g.to(p.dtype) for g, p in zip(grads, self.params, strict=True)])
        lr = float(opt._lr)
        if opt.weight_decay:
            decay = float(np.float32(1.0) - np.float32(opt.weight_decay) * opt._lr)
            for p in self.params:
                p.mul_(decay)
        if isinstance(opt, rk.Adam):
            t = np.float32(opt.iterations + 1)
            b1, b2 = np.float32(opt.beta_1), np.float32(opt.beta_2)
            self._alpha = float(opt._lr * np.sqrt(np.float32(1) - b2 ** t)
                                / (np.float32(1) - b1 ** t))
        update = {rk.SGD: self._sgd, rk.RMSprop: self._rmsprop, rk.Adam: self._adam}[type(opt)]
        for i, (g, p) in enumerate(zip(grads, self.params)):
            update(i, g, p, lr)
        opt.iterations += 1

    def _clip(self, grads):
        opt = self.opt
        if opt.clipnorm:
            c = float(opt.clipnorm)
            return [g * c / torch.clamp(torch.sqrt((g * g).sum()), min=c) for g in grads]
        if opt.global_clipnorm:
            c = float(opt.global_clipnorm)
            norm = torch.sqrt(sum((g * g).sum() for g in grads))
            scale = c * torch.minimum(1.0 / norm, torch.tensor(1.0 / c, dtype=norm.dtype,
                                                                  device=norm.device))
            return [g * scale.to(g.dtype) for g in grads]
        if opt.clipvalue:
            return [g.clamp(-opt.clipvalue, opt.clipvalue) for g in grads]
        return grads

    def _sgd(self, i, g, w, lr):
        opt = self.opt
        if opt.momentum == 0:
            w.sub_(g * lr)
            return
        mu = float(np.float32(opt.momentum))
        m = self.slots["momentum"][i]
        m.mul_(mu).sub_(g * lr)                                       # m ← μm − lr·g
        w.add_(m * mu - g * lr if opt.nesterov else m)

    def _rmsprop(self, i, g, w, lr):
        opt = self.opt
        rho = float(np.float32(opt.rho))
        v = self.slots["velocity"][i]
        v.mul_(rho).add_(float(np.float32(1 - opt.rho)) * (g * g))   # v ← ρv + (1 − ρ)g²
        denominator = v + float(np.float32(opt.epsilon))
        if opt.centered:
            a = self.slots["average_gradient"][i]
            a.mul_(rho).add_(float(np.float32(1 - opt.rho)) * g)
            denominator = denominator - a * a
        increment = (g * lr) / torch.sqrt(denominator)               # ε inside the root
        if opt.momentum > 0:
            m = self.slots["momentum"][i]
            m.mul_(float(np.float32(opt.momentum))).add_(increment)
            w.sub_(m)
        else:
            w.sub_(increment)

    def _adam(self, i, g, w, lr):
        opt = self.opt
        m, v = self.slots["momentum"][i], self.slots["velocity"][i]
        m.mul_(float(np.float32(opt.beta_1))).add_(float(np.float32(1 - opt.beta_1)) * g)
        v.mul_(float(np.float32(opt.beta_2))).add_(float(np.float32(1 - opt.beta_2)) * (g * g))
        if opt.amsgrad:
            v_hat = self.slots["velocity_hat"][i]
            torch.maximum(v_hat, v, out=v_hat)
            v = v_hat
        w.sub_((m * self._alpha) / (torch.sqrt(v) + float(np.float32(opt.epsilon))))
