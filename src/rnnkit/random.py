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


# ---- states, as JSON values (a training backup saves them; never pickled) -------------------------
def generator_state(generator: np.random.Generator) -> dict:
    """``generator``'s bit generator state: a dict of str and int (JSON as it is)."""
    return generator.bit_generator.state


def set_generator_state(generator: np.random.Generator, state: dict) -> None:
    """Put ``generator`` back where ``generator_state`` found it; refuses another kind."""
    kind = type(generator.bit_generator).__name__
    if state.get("bit_generator") != kind:
        raise ValueError(f"a {state.get('bit_generator')} state cannot be loaded into a {kind} "
                         f"generator")
    generator.bit_generator.state = state


def global_states() -> dict:
    """rnnkit's root generator, NumPy's legacy global one and Python's ``random``: the
    generators ``set_random_seed`` seeds, which code run during training may draw from."""
    legacy = np.random.get_state(legacy=False)
    legacy["state"] = {k: v.tolist() if isinstance(v, np.ndarray) else v
                       for k, v in legacy["state"].items()}
    version, internal, gauss = _py_random.getstate()
    return {"rnnkit": generator_state(_root), "numpy": legacy,
            "python": [version, list(internal), gauss]}


def set_global_states(states: dict) -> None:
    """Put the generators of ``global_states`` back (the states a training backup recorded)."""
    set_generator_state(_root, states["rnnkit"])
    legacy = dict(states["numpy"])
    legacy["state"] = {k: np.asarray(v, np.uint32) if k == "key" else v
                       for k, v in legacy["state"].items()}
    np.random.set_state(legacy)
    version, internal, gauss = states["python"]
    _py_random.setstate((version, tuple(internal), gauss))
