"""SGD, RMSprop and Adam with Keras 3's defaults, update rules and saved state.

The updates are those of Keras 3's optimizers on its torch backend, step for
step and in float32 like Keras's variables, so the same gradients give the same weights:

    SGD      m ← μm − lr·g;   w ← w + m             (nesterov: w ← w − lr·g + μm)
    RMSprop  v ← ρv + (1 − ρ)g²;   w ← w − lr·g / √(v + ε)      (ε inside the root, as Keras)
    Adam     m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²;
             α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ);   w ← w − α·m / (√v + ε)

Each rule is written once, with the arithmetic and in-place operators that NumPy arrays and torch
tensors share; the few operations they spell differently come from an ``ArrayOps`` namespace
(rnnkit.array_ops), so the torch engine runs these very rules on its tensors (``Optimizer.step``).
Adam's and plain RMSprop's lines also exist compiled (rnnkit.kernels.optimizers): one pass over a
weight instead of one per operator, with the same floats; they run where ``compiled.views`` says
they apply (float32 arrays in host memory, numba on).

Before the update, gradients are clipped (``clipnorm`` per weight, ``global_clipnorm`` over all,
or ``clipvalue`` elementwise) and ``weight_decay`` shrinks weights by (1 − wd·lr), as in Keras.
An optimizer's ``variables`` are Keras's list: [iteration, learning_rate, slots…] in Keras's order,
which is what .keras files store under ``optimizer/vars``.

``learning_rate`` may be a schedule (``optimizers.schedules``): each step then uses the schedule's
value at the step count, and, as in Keras, the optimizer has no learning-rate variable
([iteration, slots…]) and its rate cannot be set.
"""

from __future__ import annotations

import numpy as np

from ..array_ops import NUMPY, ArrayOps
from ..keras_options import KerasOptions, refuse_unknown
from ..naming import snake_case
from . import compiled, schedules
from .schedules import LearningRateSchedule

# Keras options for features rnnkit does not have, with the values that mean "off" (also what
# get_config writes, so that Keras reads the file as the same optimizer).
KERAS_ONLY = KerasOptions(defaults={"use_ema": False, "ema_momentum": 0.99,
                                    "ema_overwrite_frequency": None, "loss_scale_factor": None,
                                    "gradient_accumulation_steps": None})


class Optimizer:
    """Clipping, weight decay, the step counter and Keras's variable list; subclasses do the rule."""

    #: the names of the per-weight slots, in the order Keras creates (and saves) them
    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name: str | None = None, **kwargs):
        KERAS_ONLY.pop(type(self).__name__, kwargs)
        refuse_unknown(type(self).__name__, kwargs)
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{type(self).__name__}: set only one of clipnorm, clipvalue and "
                             f"global_clipnorm, got clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.name = name or snake_case(type(self).__name__)
        self._schedule: LearningRateSchedule | None = None
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = 0
        self.built = False
        self.slots: dict[str, list[np.ndarray]] = {}

    # ---- learning rate: a float32 variable in Keras, or a schedule of the step -------------------
    @property
    def learning_rate(self) -> float:
        """The rate the next step uses (a schedule's value at ``iterations``)."""
        return float(self.current_learning_rate())

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, LearningRateSchedule):
            self._schedule = value
            return
        if getattr(self, "_schedule", None) is not None:
            raise TypeError(f"optimizer {self.name!r} was built with a learning-rate schedule, "
                            f"so its learning rate cannot be set; build it with a float "
                            f"learning_rate instead")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise ValueError(f"learning_rate must be a non-negative float or an "
                             f"optimizers.schedules schedule, got {value!r}")
        self._lr = np.float32(value)

    @property
    def schedule(self) -> LearningRateSchedule | None:
        return self._schedule

    def current_learning_rate(self) -> np.float32:
        """lr for the step about to run: the schedule at t = iterations, or the variable."""
        if self._schedule is not None:
            return np.float32(self._schedule(self.iterations))
        return self._lr

    # ---- state ------------------------------------------------------------------------------------
    def build(self, params: list[np.ndarray]) -> None:
        """Create the zero slots, one per weight and slot name (Keras's ``build``)."""
        self.slots = {name: [np.zeros_like(p) for p in params] for name in self.active_slots()}
        self.built = True

    def active_slots(self) -> tuple[str, ...]:
        return self.slot_names

    @property
    def variables(self) -> list[np.ndarray]:
        """[iteration, learning_rate, slots…] in Keras's order (what .keras files save); with
        a schedule Keras has no learning_rate variable: [iteration, slots…]."""
        return self.head_variables() + self._ordered_slots()

    def head_variables(self) -> list[np.ndarray]:
        """The variables before the slots: [iteration] and, without a schedule, learning_rate."""
        head = [np.array(self.iterations, np.int32)]
        return head if self._schedule is not None else head + [np.array(self._lr, np.float32)]

    def _ordered_slots(self) -> list[np.ndarray]:
        return self.order_slots(self.slots) if self.built else []

    def order_slots(self, slots: dict[str, list]) -> list:
        """``slots`` ({slot name: one entry per weight}) flattened in Keras's variable order; the
        entries may be arrays or anything else (a legacy .h5 file's variable names)."""
        # Keras adds one slot list per add_optimizer_variables call (see each subclass).
        return [s for name in self.active_slots() for s in slots[name]]

    def set_variables(self, values: list[np.ndarray]) -> None:
        """Load a Keras optimizer variable list; shapes must match the built slots."""
        own = self.variables
        if len(values) != len(own):
            raise ValueError(f"optimizer {self.name!r} has {len(own)} variables, "
                             f"got {len(values)}")
        for i, (dst, src) in enumerate(zip(own, values)):
            if np.shape(src) != dst.shape:
                raise ValueError(f"optimizer {self.name!r} variable {i} has shape {dst.shape}, "
                                 f"got {np.shape(src)}")
        self.iterations = int(values[0])
        head = len(self.head_variables())
        if head == 2:
            self._lr = np.float32(values[1])
        for dst, src in zip(self._ordered_slots(), values[head:]):
            dst[...] = src

    # ---- one step ----------------------------------------------------------------------------------
    def apply(self, grads: list[np.ndarray], params: list[np.ndarray]) -> None:
        """Update ``params`` in place from ``grads`` (same order, same shapes)."""
        if not self.built:
            self.build(params)
        self.step(NUMPY, grads, params, self.slots)

    def step(self, xp: ArrayOps, grads: list, params: list, slots: dict[str, list]) -> None:
        """One Keras step on arrays of any kind: ``xp`` spells the ops NumPy and torch differ in.

        ``slots`` holds this optimizer's slots as arrays of the same kind as ``params`` (its own
        NumPy ``self.slots`` here, torch tensors in the torch engine); the counter is shared.
        """
        # strict: one gradient missing would shift every later one onto the wrong weight
        grads = self._clip(xp, [xp.cast(g, p) for g, p in zip(grads, params, strict=True)])
        lr = self.current_learning_rate()
        if self.weight_decay:
            decay = np.float32(1.0) - np.float32(self.weight_decay) * lr
            for p in params:
                p *= decay
        self.begin_step(lr)
        for i, (g, p) in enumerate(zip(grads, params)):
            self.update(xp, {name: arrays[i] for name, arrays in slots.items()}, g, p, lr)
        self.iterations += 1

    def begin_step(self, lr: np.float32) -> None:
        """Per-step scalars a rule needs (Adam's α), computed once before the weights."""

    def update(self, xp: ArrayOps, slot: dict, g, w, lr: np.float32) -> None:
        """Update one weight ``w`` in place from its gradient ``g`` and its ``slot`` arrays."""
        raise NotImplementedError

    def _clip(self, xp: ArrayOps, grads: list) -> list:
        if self.clipnorm:
            c = np.float32(self.clipnorm)
            # g·c / max(‖g‖, c): unchanged when the norm is within c
            return [g * c / xp.sqrt((g * g).sum()).clip(min=c) for g in grads]
        if self.global_clipnorm:
            c = np.float32(self.global_clipnorm)
            norm = xp.sqrt(sum((g * g).sum() for g in grads))
            scale = c * (1.0 / norm).clip(max=1.0 / c) + (norm - norm)  # NaN norm → NaN, as Keras
            return [g * xp.cast(scale, g) for g in grads]
        if self.clipvalue:
            return [g.clip(-self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ---- config ------------------------------------------------------------------------------------
    def get_config(self) -> dict:
        rate = self.learning_rate if self._schedule is None else \
            schedules.serialize(self._schedule)
        return {"name": self.name, "learning_rate": rate,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                **KERAS_ONLY.defaults}

    @classmethod
    def from_config(cls, config: dict):
        """``cls(**config)``; a learning_rate written as a schedule's config is rebuilt first."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD momentum must be in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def active_slots(self):
        return ("momentum",) if self.momentum != 0 else ()

    def update(self, xp, slot, g, w, lr):
        if self.momentum == 0:
            w -= g * lr
            return
        mu = np.float32(self.momentum)
        m = slot["momentum"]
        m *= mu
        m -= g * lr                                       # m ← μm − lr·g
        if self.nesterov:
            w += m * mu - g * lr                          # w ← w − lr·g + μm
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Divides the step by a running RMS of the gradient (Tieleman & Hinton, 2012)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon, self.centered = float(epsilon), bool(centered)

    def active_slots(self):
        # Keras: velocities, then momentums (momentum > 0), then average gradients (centered)
        return ("velocity",) + (("momentum",) if self.momentum > 0 else ()) \
            + (("average_gradient",) if self.centered else ())

    def update(self, xp, slot, g, w, lr):
        rho = np.float32(self.rho)
        v = slot["velocity"]
        flat = None if self.centered or self.momentum > 0 else compiled.views(xp, w, g, v)
        if flat is not None:                              # the two lines below, in one pass
            compiled.loops().rmsprop(*flat, rho, np.float32(1 - self.rho), lr,
                                     np.float32(self.epsilon))
            return
        v *= rho
        v += np.float32(1 - self.rho) * (g * g)           # v ← ρv + (1 − ρ)g²
        denominator = v + np.float32(self.epsilon)
        if self.centered:
            a = slot["average_gradient"]
            a *= rho
            a += np.float32(1 - self.rho) * g
            denominator -= a * a                          # v − E[g]² + ε
        increment = (g * lr) / xp.sqrt(denominator)       # ε inside the root, as Keras
        if self.momentum > 0:
            m = slot["momentum"]
            m *= np.float32(self.momentum)
            m += increment
            w -= m
        else:
            w -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    """Adaptive moments (Kingma & Ba, 2015) with Keras's folded bias correction α."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon, self.amsgrad = float(epsilon), bool(amsgrad)

    def active_slots(self):
        return ("momentum", "velocity") + (("velocity_hat",) if self.amsgrad else ())

    def order_slots(self, slots):
        # Keras creates m and v in one call, interleaved per weight: m₀ v₀ m₁ v₁ … then v̂
        pairs = [s for mv in zip(slots["momentum"], slots["velocity"]) for s in mv]
        return pairs + (slots["velocity_hat"] if self.amsgrad else [])

    def begin_step(self, lr):
        t = np.float32(self.iterations + 1)
        b1, b2 = np.float32(self.beta_1), np.float32(self.beta_2)
        # α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), once per step, in float32 like Keras
        self._alpha = lr * np.sqrt(np.float32(1) - b2 ** t) / (np.float32(1) - b1 ** t)

    def update(self, xp, slot, g, w, lr):
        m, v = slot["momentum"], slot["velocity"]
        flat = None if self.amsgrad else compiled.views(xp, w, g, m, v)
        if flat is not None:                              # the lines below, in one pass
            compiled.loops().adam(*flat, np.float32(self.beta_1), np.float32(1 - self.beta_1),
                                  np.float32(self.beta_2), np.float32(1 - self.beta_2),
                                  self._alpha, np.float32(self.epsilon))
            return
        m *= np.float32(self.beta_1)
        m += np.float32(1 - self.beta_1) * g              # m ← β₁m + (1 − β₁)g
        v *= np.float32(self.beta_2)
        v += np.float32(1 - self.beta_2) * (g * g)        # v ← β₂v + (1 − β₂)g²
        if self.amsgrad:
            v_hat = slot["velocity_hat"]
            xp.maximum_(v_hat, v)
            v = v_hat
        w -= (m * self._alpha) / (xp.sqrt(v) + np.float32(self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}
NAMES = tuple(_BY_NAME)  #: the names ``get`` accepts


def get(identifier) -> Optimizer:
    """An Optimizer from a name ('sgd', 'rmsprop', 'adam'), a Keras config dict or an Optimizer."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(dict(identifier.get("config", {})))
    shown = identifier.get("class_name") if isinstance(identifier, dict) else identifier
    raise ValueError(f"unknown optimizer {shown!r}; expected one of "
                     f"{', '.join(repr(n) for n in _BY_NAME)} or a rnnkit.optimizers.Optimizer")


def serialize(optimizer: Optimizer) -> dict:
    """The Keras 3 config dict for ``optimizer`` (readable by ``keras.optimizers.deserialize``)."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}
