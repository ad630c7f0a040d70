"""Activation functions with the derivative each backward pass needs.

Every activation used here has a derivative that can be written in terms of its *output* y
(tanh' = 1 − y², σ' = y(1 − y), …), so layers only keep outputs in their caches.
Softmax is not elementwise; its Jacobian-vector product is ``softmax_backward``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)), evaluated without overflow for large |x|."""
    # tanh form: σ(x) = ½(1 + tanh(x/2)) is exact and never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the max for stability."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """dL/dx for y = softmax(x): J·dy = y ⊙ (dy − Σ_j dy_j y_j)."""
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """An elementwise activation: ``fn(x)`` and ``grad(y)`` = f'(x) written with y = f(x)."""

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]


def _relu_grad(y):
    return (y > 0).astype(y.dtype)


def _hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def _hard_sigmoid_grad(y):
    return ((y > 0) & (y < 1)).astype(y.dtype) / 6.0


def _identity(x):
    return x


def _ones(y):
    return np.ones_like(y)


def _tanh_grad(y):
    return 1.0 - y * y


def _sigmoid_grad(y):
    return y * (1.0 - y)


def _relu(x):
    return np.maximum(x, 0)


# Module-level functions, not lambdas: a model (and a fitted TextClassifier) can then be copied
# with copy.deepcopy or pickled by the user's own tools (joblib, multiprocessing).
ELEMENTWISE = {
    "linear": Activation("linear", _identity, _ones),
    "tanh": Activation("tanh", np.tanh, _tanh_grad),
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_grad),
    "relu": Activation("relu", _relu, _relu_grad),
    "hard_sigmoid": Activation("hard_sigmoid", _hard_sigmoid, _hard_sigmoid_grad),
}
ALL_NAMES = tuple(ELEMENTWISE) + ("softmax",)


def normalize(identifier) -> str:
    """Map a Keras activation identifier (None, 'linear', 'tanh', a Keras config dict …) to a name."""
    if identifier is None:
        return "linear"
    if isinstance(identifier, dict):  # Keras 3 serialized form
        identifier = identifier.get("config", identifier.get("class_name"))
    if isinstance(identifier, str) and identifier in ALL_NAMES:
        return identifier
    raise ValueError(
        f"unknown activation {identifier!r}; expected one of {', '.join(ALL_NAMES)} or None"
    )


def apply(name: str, z: np.ndarray) -> np.ndarray:
    """y = f(z) for an activation name from ``normalize`` (softmax over the last axis)."""
    if name == "softmax":
        return softmax(z)
    return ELEMENTWISE[name].fn(z)


def apply_backward(name: str, y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """dL/dz from dL/dy for y = f(z): f'(z) ⊙ dy written with y, or softmax's J·dy."""
    if name == "softmax":
        return softmax_backward(y, dy)
    return dy * ELEMENTWISE[name].grad(y)


def get_elementwise(identifier) -> Activation:
    """The elementwise activation named by ``identifier``; softmax is refused (not elementwise)."""
    name = normalize(identifier)
    if name not in ELEMENTWISE:
        raise ValueError(
            f"activation {name!r} is not elementwise and cannot be used here; "
            f"expected one of {', '.join(ELEMENTWISE)}"
        )
    return ELEMENTWISE[name]
