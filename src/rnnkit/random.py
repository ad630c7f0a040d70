"""Seeds and random generators.

Every layer owns a ``numpy.random.Generator`` for its initializers and dropout masks. Layers created
without an explicit seed draw theirs from one root generator, so ``set_random_seed(s)`` followed by
the same model-building code gives bit-identical weights, dropout masks and shuffles.
"""

from __future__ import annotations

import random as _py_random

import numpy as np

_root = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seed rnnkit, NumPy's legacy global generator and Python's ``random`` (like Keras)."""
    global _root
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _root = np.random.default_rng(int(seed))
    np.random.seed(int(seed) % 2**32)
    _py_random.seed(int(seed))


def make_rng(seed: int | None = None) -> np.random.Generator:
    """A fresh generator: from ``seed`` if given, else derived from the root generator."""
    if seed is not None:
        return np.random.default_rng(int(seed))
    return np.random.default_rng(_root.integers(0, 2**63))
