"""Weight initializers with Keras 3's names, formulas and defaults.

``get(identifier)`` accepts a name ('glorot_uniform'), a Keras config dict
({'class_name': 'GlorotUniform', 'config': {...}}) or an Initializer; calling one with a shape,
a dtype and a ``numpy.random.Generator`` returns a new array.
"""

from __future__ import annotations

import numpy as np

from .keras_options import KerasOptions
from .naming import snake_case

# Keras lets VarianceScaling (and its presets) take the fans from chosen axes of the shape;
# rnnkit computes them as Keras does by default, so only the "not given" value is accepted.
_NO_AXES = {"input_axes": None, "output_axes": None}
_AXES = KerasOptions(defaults=_NO_AXES)


class Initializer:
    def __call__(self, shape, dtype, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @property
    def name(self) -> str:
        return snake_case(type(self).__name__)


class Zeros(Initializer):
    def __call__(self, shape, dtype, rng):
        return np.zeros(shape, dtype)


class Ones(Initializer):
    def __call__(self, shape, dtype, rng):
        return np.ones(shape, dtype)


class RandomInitializer(Initializer):
    """Keras's seeded initializers. rnnkit draws every weight from the generator the layer
    passes in (so a model's weights follow its one seed), hence ``seed`` is only kept: it is
    written back into configs, as Keras writes it, so files say what the user asked for."""

    def __init__(self, seed=None):
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(RandomInitializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype, rng):
        return rng.uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class RandomNormal(RandomInitializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype, rng):
        return rng.normal(self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


def _fans(shape) -> tuple[int, int]:
    """Keras's compute_fans: (in, out) of a kernel; receptive field for rank > 2."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(rng, stddev, shape):
    """Normal samples redrawn until within two standard deviations (Keras's truncated_normal)."""
    out = rng.normal(0.0, stddev, shape)
    bad = np.abs(out) > 2 * stddev
    while bad.any():
        out[bad] = rng.normal(0.0, stddev, int(bad.sum()))
        bad = np.abs(out) > 2 * stddev
    return out


class VarianceScaling(RandomInitializer):
    """Samples with variance scale/n, n = fan_in, fan_out or their mean (Keras's VarianceScaling)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        _AXES.check_all(type(self).__name__, input_axes=input_axes, output_axes=output_axes)
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype, rng):
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape).astype(dtype)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, np.sqrt(variance), shape).astype(dtype)
        # 0.8796… is the stddev of a unit normal truncated to [-2, 2].
        return _truncated_normal(rng, np.sqrt(variance) / 0.87962566103423978, shape).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, **_NO_AXES}


def _preset(name, scale, mode, distribution):
    class Preset(VarianceScaling):
        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):  # Keras's presets write their seed and axes, not their formula
            return {"seed": self.seed, **_NO_AXES}

    Preset.__name__ = Preset.__qualname__ = name
    return Preset


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal matrix (Keras's Orthogonal)."""

    def __init__(self, gain: float = 1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype, rng):
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the decomposition unique, hence uniformly distributed
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


_CLASSES = {
    cls.__name__: cls
    for cls in (Zeros, Ones, RandomUniform, RandomNormal, VarianceScaling, GlorotUniform,
                GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)
}
_ALIASES = {"uniform": "RandomUniform", "normal": "RandomNormal", "zero": "Zeros", "one": "Ones"}


def _by_name(name: str) -> type:
    name = _ALIASES.get(name, name)
    for cls_name, cls in _CLASSES.items():
        if name in (cls_name, snake_case(cls_name)):
            return cls
    raise ValueError(
        f"unknown initializer {name!r}; expected one of "
        f"{', '.join(snake_case(n) for n in _CLASSES)} or an Initializer"
    )


def get(identifier) -> Initializer:
    """An Initializer from a name, a Keras config dict or an Initializer."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _by_name(identifier)()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return _by_name(identifier["class_name"])(**identifier.get("config", {}))
    raise ValueError(f"unknown initializer {identifier!r}; expected a name or an Initializer")


def serialize(init: Initializer):
    """A Keras-3-style config dict for ``init`` (round-trips through ``get``)."""
    return {"class_name": type(init).__name__, "config": dict(init.get_config())}
