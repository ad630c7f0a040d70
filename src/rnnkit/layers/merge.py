"""How Bidirectional merges its two directions: one table both engines read.

Each mode is its forward y = m(y_f, y_b) and the backward the NumPy engine needs,
(dL/dy_f, dL/dy_b) from dL/dy. The torch engine runs the same forward on tensors and lets
autograd differentiate it; ``cat`` is the engine's concatenation along the last axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Merge:
    forward: Callable        # (y_f, y_b, cat) → y
    backward: Callable       # (dy, y_f, y_b) → (dy_f, dy_b)


MERGES: dict = {
    "concat": Merge(lambda f, b, cat: cat([f, b]),
                    lambda d, f, b: (d[..., :f.shape[-1]], d[..., f.shape[-1]:])),
    "sum": Merge(lambda f, b, cat: f + b, lambda d, f, b: (d, d)),
    "ave": Merge(lambda f, b, cat: (f + b) / 2, lambda d, f, b: (d / 2, d / 2)),
    "mul": Merge(lambda f, b, cat: f * b, lambda d, f, b: (d * b, d * f)),   # product rule
    None: Merge(lambda f, b, cat: [f, b], lambda d, f, b: (d[0], d[1])),     # two outputs
}
