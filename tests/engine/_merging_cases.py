"""The merge layers' test cases, shared by the gradient checks, the Keras oracle and the torch
equality tests: a constructor (run with ``rnnkit.layers`` or ``keras.layers``) and the shapes
of its inputs — 2 and 3 inputs, 2-D and 3-D, Concatenate on the last axis and on axis 1, and
the broadcasting (size-1 axes, lower ranks) Keras allows the elementwise merges.
"""

import numpy as np

B, T = 4, 6


def _concat(axis=-1):
    return lambda L, **kw: L.Concatenate(axis=axis, **kw)


def _merge(name):
    return lambda L, **kw: getattr(L, name)(**kw)


CASES = {
    "concat_2d_2": (_concat(), [(B, 3), (B, 5)]),
    "concat_3d_3": (_concat(), [(B, T, 3), (B, T, 2), (B, T, 4)]),
    "concat_axis1_2d_3": (_concat(1), [(B, 3), (B, 2), (B, 1)]),
    "concat_axis1_3d_2": (_concat(1), [(B, T, 3), (B, 4, 3)]),
    "concat_axis1_3d_3": (_concat(1), [(B, T, 3), (B, 2, 3), (B, T, 3)]),
    "add_2d_2": (_merge("Add"), [(B, 5), (B, 5)]),
    "add_3d_3": (_merge("Add"), [(B, T, 4)] * 3),
    "average_2d_3": (_merge("Average"), [(B, 5)] * 3),
    "average_3d_2": (_merge("Average"), [(B, T, 4)] * 2),
    "multiply_2d_2": (_merge("Multiply"), [(B, 5), (B, 5)]),
    "multiply_2d_3": (_merge("Multiply"), [(B, 5)] * 3),
    "multiply_3d_2": (_merge("Multiply"), [(B, T, 4)] * 2),
    "multiply_3d_3": (_merge("Multiply"), [(B, T, 4)] * 3),
    "add_broadcast_3d_3": (_merge("Add"), [(B, T, 4), (B, 1, 4), (B, T, 1)]),
    "average_ranks_2": (_merge("Average"), [(B, T, 4), (B, 4)]),
    "multiply_broadcast_3d_2": (_merge("Multiply"), [(B, T, 4), (B, 1, 4)]),
    "multiply_ranks_3": (_merge("Multiply"), [(B, T, 4), (B, 4), (B, T, 4)]),
}
MASK_KINDS = ["none", "every", "first"]


def inputs(case, dtype="float32", seed=0):
    """Random inputs of the case's shapes (ties and zeros have probability zero)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in CASES[case][1]]


def masks(case, kind, seed=0):
    """None, a mask on every input, or on the first only; each an input's shape without its
    last axis, ~30 % padding, so that with every input masked some entries are padding in all.
    Where ranks differ, "every" skips the lower-rank inputs (Keras cannot OR their masks)."""
    if kind == "none":
        return None
    rng = np.random.default_rng(seed + 7)
    shapes = CASES[case][1]
    top = max(len(s) for s in shapes)
    ms = [rng.random(s[:-1]) < 0.7 if len(s) == top else None for s in shapes]
    return ms if kind == "every" else [ms[0]] + [None] * (len(ms) - 1)


def layer(case, lib, **kwargs):
    return CASES[case][0](lib, **kwargs)
