"""rnnkit's elementwise activations and softmax as torch functions (same names, same math)."""

from __future__ import annotations

from typing import Callable

from .torch_import import import_torch

torch = import_torch()


def _hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1), as rnnkit.activations
    return torch.clamp(x / 6.0 + 0.5, 0.0, 1.0)


FUNCTIONS: dict[str, Callable] = {
    "linear": lambda x: x,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "hard_sigmoid": _hard_sigmoid,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}


def get(name: str) -> Callable:
    """The torch function for an rnnkit activation name ('tanh', 'sigmoid', …)."""
    if name not in FUNCTIONS:
        raise ValueError(f"the torch engine has no activation {name!r}; expected one of "
                         f"{', '.join(FUNCTIONS)}")
    return FUNCTIONS[name]
