"""Learning-rate schedules, Keras 3's: lr as a function of the optimizer's step t.

An optimizer built with a schedule evaluates it once per update, at t = the number of updates
already applied (``optimizer.iterations``), in float32 as Keras does, and has no learning-rate
variable (its saved variables are [iteration, slots…]). The formulas
(Keras 3's ``ExponentialDecay`` and ``CosineDecay``):

    ExponentialDecay   lr₀ · rate^(t / steps)            (staircase: rate^⌊t / steps⌋)
    CosineDecay        lr₀ · ((1 − α)·½(1 + cos(π·min(t, steps)/steps)) + α)
                       with warmup_target: lr₀ + (target − lr₀)·t/warmup for t < warmup, then
                       the cosine from target over t − warmup (t capped at warmup + steps)

Every subclass registers itself by class name (``schedule_class``), so a schedule of your own
loads from a file once its class is defined; the built-ins are written as Keras writes them.
"""

from __future__ import annotations

import math

import numpy as np

_REGISTRY: dict[str, type] = {}


class LearningRateSchedule:
    """``schedule(step) -> np.float32``; subclasses define ``__call__`` and ``get_config``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def __call__(self, step) -> np.float32:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


def _check_steps(owner: str, decay_steps) -> None:
    if decay_steps <= 0:
        raise ValueError(f"{owner}: decay_steps must be > 0, got {decay_steps!r}")


class ExponentialDecay(LearningRateSchedule):
    """lr₀ · rate^(t / decay_steps), the exponent floored with ``staircase``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase: bool = False,
                 name: str = "ExponentialDecay"):
        _check_steps("ExponentialDecay", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step) -> np.float32:
        f32 = np.float32
        p = f32(step) / f32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return f32(self.initial_learning_rate) * np.power(f32(self.decay_rate), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine annealing (Loshchilov & Hutter, 2017) to α·lr, after an optional linear warmup."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name: str = "CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_steps("CosineDecay", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.alpha, self.name = alpha, name
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decayed(self, step, start_lr):
        """start_lr · ((1 − α)·½(1 + cos(π·t/steps)) + α)."""
        cosine = np.float32(0.5) * (np.float32(1.0) + np.cos(
            np.float32(math.pi) * (step / np.float32(self.decay_steps))))
        return start_lr * ((np.float32(1 - self.alpha)) * cosine + np.float32(self.alpha))

    def __call__(self, step) -> np.float32:
        f32 = np.float32
        lr0, steps, t = f32(self.initial_learning_rate), f32(self.decay_steps), f32(step)
        if self.warmup_target is None:
            return self._decayed(min(t, steps), lr0)
        target, warmup = f32(self.warmup_target), f32(self.warmup_steps)
        t = min(t, steps + warmup)
        if t < warmup:                                  # linear from lr₀ to the target
            return (target - lr0) * (t / warmup) + lr0
        return self._decayed(t - warmup, target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


def schedule_class(name: str) -> type:
    """The registered schedule class of that name, or a one-line error naming the known ones."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown learning-rate schedule {name!r}; rnnkit has "
                         f"{', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def serialize(schedule: LearningRateSchedule) -> dict:
    """Keras's form: a built-in names keras.optimizers.schedules; one of your own, its module."""
    cls = type(schedule)
    own = cls.__module__ != __name__
    return {"module": cls.__module__ if own else "keras.optimizers.schedules",
            "class_name": cls.__name__, "config": schedule.get_config(),
            "registered_name": cls.__name__ if own else None}


def deserialize(config: dict) -> LearningRateSchedule:
    """A schedule from Keras's {"class_name", "config"} form."""
    return schedule_class(config.get("class_name")).from_config(dict(config.get("config") or {}))
