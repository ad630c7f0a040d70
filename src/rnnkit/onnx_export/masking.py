"""Keras's masking with ONNX's recurrent operators, which only know ``sequence_lens``.

rnnkit (like Keras) lets a masked step leave every state unchanged, wherever it is: padding
before, after or between the words. ONNX's operators run each sequence's first
``sequence_lens`` steps. Since a masked step is the identity on the states, running only the
real steps gives the same states: ``compact`` moves each sequence's real steps to the front, in
their order, and counts them; the final state and a reversed pass (over the real steps only) are
then exactly Keras's. ``expand`` puts a returned sequence back on the original time axis the way
Keras fills it: at a masked step the output repeats the last real one (zeros before the first).

All values are time-major: x (time, batch, features), mask (time, batch) bool.
"""

from __future__ import annotations

import numpy as np


def nonzero(g, ids: str, hint: str) -> str:
    """ids ≠ 0: Embedding(mask_zero=True)'s mask, True on a real step."""
    return g.op("Not", [g.op("Equal", [ids, g.ints(0, scalar=True)], hint)], hint)


def reverse_time(g, x: str, hint: str) -> str:
    """x with its time axis (axis 0) reversed."""
    return g.op("Slice", [x, g.ints([-1]), g.ints([np.iinfo(np.int64).min]), g.ints([0]),
                          g.ints([-1])], hint)


def compact(g, x: str, mask: str, hint: str) -> tuple[str, str]:
    """(x with each sequence's real steps first, in order; their count per sequence, int32).

    The order is a sort on key = t for a real step and T + t for a masked one: TopK(smallest)
    over distinct keys, so no stable sort is needed."""
    length = g.op("Shape", [mask], hint, start=0, end=1)                       # [T]
    t = g.op("Range", [g.ints(0, scalar=True), g.op("Squeeze", [length], hint),
                       g.ints(1, scalar=True)], hint)
    t = g.op("Unsqueeze", [t, g.ints([1])], hint)                              # (T, 1)
    key = g.op("Where", [mask, t, g.op("Add", [t, length], hint)], hint)      # (T, B)
    _, order = g.op("TopK", [key, length], hint, outputs=2, axis=0, largest=0, sorted=1)
    index = g.op("Expand", [g.op("Unsqueeze", [order, g.ints([2])], hint),
                            g.op("Shape", [x], hint)], hint)
    moved = g.op("GatherElements", [x, index], hint, axis=0)
    counts = g.op("ReduceSum", [g.cast(mask, "INT32", hint), g.ints([0])], hint,
                  keepdims=0)
    return moved, counts


def expand(g, y: str, mask: str, hint: str) -> str:
    """Keras's output sequence from the compacted one: step t shows the output after the real
    steps up to t (their count k(t)), i.e. row k(t) of [0; y]."""
    seen = g.op("CumSum", [g.cast(mask, "INT64", hint), g.ints(0, scalar=True)],
                hint)                                                           # (T, B)
    padded = g.op("Pad", [y, g.ints([1, 0, 0, 0, 0, 0])], hint)                 # (T+1, B, u)
    index = g.op("Expand", [g.op("Unsqueeze", [seen, g.ints([2])], hint),
                            g.op("Shape", [y], hint)], hint)
    return g.op("GatherElements", [padded, index], hint, axis=0)


def zero_masked_steps(g, seq: str, mask: str, hint: str) -> str:
    """``zero_output_for_mask`` on a sequence: zeros at the masked steps."""
    keep = g.op("Unsqueeze", [g.cast(mask, "FLOAT", hint), g.ints([2])], hint)
    return g.op("Mul", [seq, keep], hint)


def zero_if_last_masked(g, last: str, mask: str, hint: str) -> str:
    """``zero_output_for_mask`` on the last output: zero where the last step processed is masked."""
    final = g.op("Gather", [mask, g.ints(-1, scalar=True)], hint, axis=0)         # (B,)
    keep = g.op("Unsqueeze", [g.cast(final, "FLOAT", hint), g.ints([1])], hint)
    return g.op("Mul", [last, keep], hint)
