"""Engines execute a model description: a train step, an eval step, a predict step.

The training loop (training.py) talks to an engine only through those three calls, so the same
loop, callbacks and progress display drive the NumPy engine and any other engine added here.
"""

from __future__ import annotations

from .base import Engine
from .numpy_engine import NumpyEngine

ENGINES = {"numpy": NumpyEngine}


def _torch_engine():
    # Imported on request only: torch is an optional extra, never imported by ``import rnnkit``.
    from .torch_engine.engine import TorchEngine
    return TorchEngine


#: engines whose module is imported only when asked for
LAZY_ENGINES = {"torch": _torch_engine}


def get(name: str):
    """The engine class registered under ``name``."""
    if name in LAZY_ENGINES:
        return LAZY_ENGINES[name]()
    if name not in ENGINES:
        available = ", ".join(map(repr, [*ENGINES, *LAZY_ENGINES]))
        raise ValueError(f"unknown engine {name!r}; available: {available}")
    return ENGINES[name]


__all__ = ["ENGINES", "Engine", "NumpyEngine", "get"]
