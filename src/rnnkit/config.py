"""Global numeric settings, as in ``keras.config``: the default float type of new layers."""

from __future__ import annotations

import numpy as np

_FLOATX = "float32"
_ALLOWED = ("float32", "float64")


def floatx() -> str:
    """The default float dtype of weights and activations ('float32' unless changed)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype for layers created afterwards: 'float32' or 'float64'."""
    global _FLOATX
    if value not in _ALLOWED:
        raise ValueError(f"floatx must be one of {_ALLOWED}, got {value!r}")
    _FLOATX = value


def standardize_dtype(dtype) -> str:
    """Map ``None`` to floatx() and check the dtype is one the engine computes in."""
    if dtype is None:
        return _FLOATX
    name = np.dtype(dtype).name if not isinstance(dtype, dict) else dtype.get("config", {}).get("name")
    if name not in _ALLOWED:
        raise ValueError(f"dtype must be one of {_ALLOWED}, got {dtype!r}")
    return name
