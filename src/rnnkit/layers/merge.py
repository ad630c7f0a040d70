"""How tensors merge into one: one table that Bidirectional (its two directions), the merge
layers (n inputs, layers/merging.py) and both engines read.

Each mode is its forward y = m(x_1, …, x_n) and the backward the NumPy engine needs,
[dL/dx_1, …, dL/dx_n] from dL/dy, for inputs already of one shape (the merge layers broadcast
before and sum back after). The torch engine runs the same forward on tensors and lets autograd
differentiate it; ``cat`` is the engine's concatenation along the merge axis, and ``axis`` is
that axis for the backward's split.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Merge:
    forward: Callable        # (xs, cat) → y
    backward: Callable       # (dy, xs, axis) → [dy_i]


def total(xs):
    """x_1 + … + x_n, left to right (Keras's order of additions)."""
    return functools.reduce(operator.add, xs)


def product(xs):
    """x_1 · … · x_n, left to right."""
    return functools.reduce(operator.mul, xs)


def _split(d, xs, axis=-1):
    """y = [x_1 | … | x_n] along ``axis``, so dL/dx_i is dy's slice at x_i's place."""
    bounds = np.cumsum([x.shape[axis] for x in xs[:-1]])
    return np.split(d, bounds, axis=axis)


def _product_rule(d, xs, axis=-1):
    """dL/dx_i = dy · Π_{j≠i} x_j (no division by x_i, which may be 0)."""
    return [product([d] + [x for j, x in enumerate(xs) if j != i]) for i in range(len(xs))]


MERGES: dict = {
    "concat": Merge(lambda xs, cat: cat(xs), _split),
    "sum": Merge(lambda xs, cat: total(xs), lambda d, xs, axis=-1: [d] * len(xs)),
    "ave": Merge(lambda xs, cat: total(xs) / len(xs),
                 lambda d, xs, axis=-1: [d / len(xs) for _ in xs]),
    "mul": Merge(lambda xs, cat: product(xs), _product_rule),
    None: Merge(lambda xs, cat: list(xs), lambda d, xs, axis=-1: list(d)),   # n outputs
}
