"""rnnkit's elementwise activations and softmax as torch functions (same names, same math).

Which activations exist is rnnkit.activations' table (``ALL_NAMES``); this module only gives each
name its torch operation, and fails to import if a name there has none here.
"""

from __future__ import annotations

from typing import Callable

from ... import activations
from .torch_import import import_torch

torch = import_torch()


def _hard_sigmoid(x):
    # Keras 3: relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1), as rnnkit.activations
    return torch.clamp(x / 6.0 + 0.5, 0.0, 1.0)


_TORCH_OPS: dict[str, Callable] = {
    "linear": lambda x: x,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "hard_sigmoid": _hard_sigmoid,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}
#: one torch function per rnnkit activation name, in rnnkit's order (a missing one: KeyError)
FUNCTIONS: dict[str, Callable] = {name: _TORCH_OPS[name] for name in activations.ALL_NAMES}


def get(identifier) -> Callable:
    """The torch function for an rnnkit activation identifier ('tanh', None, a Keras dict, …)."""
    return FUNCTIONS[activations.normalize(identifier)]
