"""Keras's merge layers: Concatenate, Add, Average and Multiply — n inputs, one output.

A merge layer takes a *list*: ``build`` a list of shapes, ``forward(xs, mask=[m_1, …])`` a list
of arrays and a list of masks (each None or boolean, the input's shape without its last axis),
and ``backward`` returns the list [dL/dx_1, …] (no weights). ``multi_input`` tells graph code so.

The arithmetic is layers/merge.py's table, shared with Bidirectional. What Keras 3 adds
(keras/src/layers/merging) and these layers follow:

* Add, Average, Multiply broadcast: a lower-rank input gets size-1 axes after the batch axis,
  then sizes must be equal or 1 (NumPy broadcasting of the non-batch shapes);
* the output mask is None unless every input has one, else m_1 ∨ … ∨ m_n; Concatenate's is
  None only if no input has one (a missing mask counts as all real), joined along the axis;
* Multiply alone reads masks in its math: a padded entry counts as 1, and with every input
  masked the output is 0 where no input is real.

The rules are written once for both engines over ``ArrayOps``, the few functions whose spelling
differs between NumPy and torch; the torch engine's module calls ``merge`` and ``output_mask``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..functional.symbolic import is_symbolic
from .base import Layer
from .merge import MERGES


@dataclass(frozen=True)
class ArrayOps:
    cat: Callable      # (parts, axis) → the parts joined along axis
    where: Callable    # (condition, a, b) → a where condition else b
    full: Callable     # (shape, like) → an all-True boolean array beside ``like``


NUMPY = ArrayOps(cat=lambda parts, axis: np.concatenate(parts, axis=axis), where=np.where,
                 full=lambda shape, like: np.ones(shape, bool))


@dataclass
class MergeCache:
    """The merged parts (rank-aligned, Multiply's padding already 1), the masks Multiply read
    (broadcastable to its parts; None elsewhere) and each input's own shape."""

    parts: list
    masks: list
    shapes: list


def _any_of(masks):
    """m_1 ∨ … ∨ m_n."""
    return functools.reduce(operator.or_, masks)


def align_ranks(xs):
    """Keras's rank alignment: size-1 axes after the batch axis until every input has the
    highest rank (the same as NumPy broadcasting's left padding of the non-batch shape)."""
    rank = max(x.ndim for x in xs)
    return [x.reshape(tuple(x.shape[:1]) + (1,) * (rank - x.ndim) + tuple(x.shape[1:]))
            for x in xs]


def _unbroadcast(d, shape):
    """dL/dx for an input broadcast up to d's shape: d summed over the axes the input was
    repeated along, then back to the input's own rank."""
    aligned = shape[:1] + (1,) * (d.ndim - len(shape)) + shape[1:]
    axes = tuple(i for i, (n, m) in enumerate(zip(aligned, d.shape)) if n == 1 and m != 1)
    return (d.sum(axis=axes, keepdims=True) if axes else d).reshape(shape)


class Merge(Layer):
    """Keras's base merge layer (keras/src/layers/merging/base_merge.py): shapes, masks, the
    list protocol; subclasses name their row of the merge table."""

    multi_input = True
    mode: str = ""

    # ---- shapes ------------------------------------------------------------------------------
    def build(self, input_shape):
        self.input_shape = [tuple(s) for s in self._shape_list(input_shape)]
        self.compute_output_shape(self.input_shape)          # refuses what cannot merge
        self.built = True

    def compute_output_shape(self, input_shape):
        """(batch, broadcast of the non-batch shapes), as Keras's Merge."""
        shapes = self._shape_list(input_shape)
        batch = self._batch(shapes)
        rest = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            rest = self._broadcast(rest, tuple(shape[1:]), shapes)
        return (batch,) + rest

    def _shape_list(self, input_shape) -> list:
        if (not isinstance(input_shape, (list, tuple)) or not input_shape
                or not all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) merges a list of "
                             f"inputs, got input_shape={input_shape!r}; build it with one "
                             f"shape per input, e.g. [(None, 4), (None, 4)]")
        return list(input_shape)

    def _batch(self, shapes):
        sizes = {s[0] for s in shapes} - {None}
        if len(sizes) > 1:
            raise ValueError(f"layer {self.name!r} cannot merge inputs with different batch "
                             f"sizes {[tuple(s) for s in shapes]}; give every input the same "
                             f"number of samples")
        return sizes.pop() if sizes else None

    def _broadcast(self, a, b, shapes):
        """Keras's elementwise rule: right-aligned, sizes equal or 1 (None if either is)."""
        if len(a) < len(b):
            a, b = b, a
        out = list(a[:len(a) - len(b)])
        for i, j in zip(a[len(a) - len(b):], b):
            if i is not None and j is not None and 1 not in (i, j) and i != j:
                raise ValueError(
                    f"layer {self.name!r} ({type(self).__name__}) cannot merge inputs of shapes "
                    f"{[tuple(s) for s in shapes]}: each axis must have one size (or 1) in all "
                    f"of them; make the shapes match, e.g. with a Dense layer on each branch")
            out.append(None if i is None or j is None else (j if i == 1 else i))
        return tuple(out)

    # ---- masks -------------------------------------------------------------------------------
    def compute_mask(self, xs, masks):
        return self.output_mask([np.asarray(x) for x in xs], masks, NUMPY)

    def output_mask(self, xs, masks, ops: ArrayOps):
        """None unless every input has a mask; then m_1 ∨ … ∨ m_n (Keras's Merge)."""
        masks = self._mask_list(masks, len(xs))
        if any(m is None for m in masks):
            return None
        return _any_of(masks)

    def _mask_list(self, masks, n: int) -> list:
        if masks is None:
            return [None] * n
        if not isinstance(masks, (list, tuple)) or len(masks) != n:
            got = (f"a list of {len(masks)}" if isinstance(masks, (list, tuple))
                   else f"one {type(masks).__name__}")
            raise ValueError(f"layer {self.name!r} takes one mask (or None) per input, a list "
                             f"of {n}, got {got}; pass mask=[m_1, …] in input order")
        return list(masks)

    def _check_masks(self, xs, masks):
        for i, (x, m) in enumerate(zip(xs, masks)):
            if m is not None and tuple(np.shape(m)) != x.shape[:-1]:
                raise ValueError(f"layer {self.name!r}: the mask of input {i} has shape "
                                 f"{np.shape(m)}, its input {x.shape}; a mask covers the "
                                 f"input's shape without the last axis, e.g. (batch, time)")

    # ---- calls -------------------------------------------------------------------------------
    def __call__(self, xs, training: bool = False, mask=None):
        if is_symbolic(xs):         # a graph node (functional/symbolic.py)
            return super().__call__(xs)
        xs = self._inputs(xs)
        self.ensure_built([(None,) + x.shape[1:] for x in xs])
        return self.forward(xs, training=training, mask=mask)

    def _inputs(self, xs) -> list:
        """The inputs as arrays of this layer's dtype, checked to merge (real shapes)."""
        if not isinstance(xs, (list, tuple)) or not xs:
            raise ValueError(f"layer {self.name!r} ({type(self).__name__}) merges a list of "
                             f"inputs, got {type(xs).__name__} {np.shape(xs)}; call it as "
                             f"layer([x_1, x_2, …])")
        xs = [self._float_input(x) for x in xs]
        self.compute_output_shape([x.shape for x in xs])
        return xs

    def merge(self, xs, masks, ops: ArrayOps):
        """The output from the (already typed) inputs, on either engine."""
        return self._combine(*self._parts(xs, self._mask_list(masks, len(xs)), ops), ops)

    def _parts(self, xs, masks, ops):
        """(what the table merges, the masks the math reads): rank-aligned, no masks."""
        return align_ranks(xs), [None] * len(xs)

    def _combine(self, parts, masks, ops):
        return MERGES[self.mode].forward(parts, lambda p: ops.cat(p, self._axis()))

    def forward_train(self, xs, training=True, mask=None):
        xs = self._inputs(xs)
        masks = self._mask_list(mask, len(xs))
        self._check_masks(xs, masks)
        parts, read = self._parts(xs, masks, NUMPY)
        return self._combine(parts, read, NUMPY), MergeCache(parts, read, [x.shape for x in xs])

    def backward(self, dy, cache: MergeCache):
        """[dL/dx_i]: the table's backward, zero where Multiply's math read padding (a constant
        1 there), summed back over broadcast axes."""
        ds = MERGES[self.mode].backward(dy, cache.parts, self._axis())
        ds = [d if m is None else np.where(m, d, 0) for d, m in zip(ds, cache.masks)]
        return [_unbroadcast(d, s) for d, s in zip(ds, cache.shapes)], []

    def _axis(self) -> int:
        return -1


class Add(Merge):
    """y = x_1 + … + x_n (broadcast); dL/dx_i = dy."""

    mode = "sum"


class Average(Merge):
    """y = (x_1 + … + x_n) / n (broadcast); dL/dx_i = dy / n."""

    mode = "ave"


class Multiply(Merge):
    """y = x_1 · … · x_n (broadcast); dL/dx_i = dy · Π_{j≠i} x_j (the product rule)."""

    mode = "mul"

    def _parts(self, xs, masks, ops):
        """Padded entries become 1, the product's identity. Keras reads the mask of an input
        only if its rank needed no alignment (the aligned copy loses the mask it carried)."""
        rank = max(x.ndim for x in xs)
        read = [None if m is None or x.ndim < rank else m[..., None]
                for x, m in zip(xs, masks)]
        parts = [p if m is None else ops.where(m, p, 1.0)
                 for p, m in zip(align_ranks(xs), read)]
        return parts, read

    def _combine(self, parts, masks, ops):
        """With every input masked, 0 where no input is real (Keras's masking convention)."""
        y = super()._combine(parts, masks, ops)
        if all(m is not None for m in masks):
            y = ops.where(_any_of(masks), y, 0.0)
        return y


class Concatenate(Merge):
    """y = [x_1 | … | x_n] along ``axis``: equal shapes elsewhere; dL/dx_i is dy's slice."""

    mode = "concat"

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Concatenate axis must be an integer, got {axis!r}")
        self.axis = int(axis)

    def _axis(self) -> int:
        return self.axis

    def compute_output_shape(self, input_shape):
        """Input 1's shape, with the sizes along ``axis`` added (None if any is unknown)."""
        shapes = [tuple(s) for s in self._shape_list(input_shape)]
        self._check_concat(shapes)
        sizes = [s[self.axis] for s in shapes]
        out = list(shapes[0])
        out[self.axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def _check_concat(self, shapes):
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(f"layer {self.name!r} (Concatenate, axis={self.axis}) needs inputs "
                             f"of one rank with that axis, got shapes {shapes}; give every "
                             f"input the same rank, and an axis in [{-rank}, {rank - 1}]")
        axis = self.axis % rank
        for i in range(rank):
            sizes = {s[i] for s in shapes} - {None}
            if i != axis and len(sizes) > 1:
                raise ValueError(f"layer {self.name!r} (Concatenate, axis={self.axis}) needs "
                                 f"inputs of equal shapes except on axis {self.axis}, got "
                                 f"{shapes} (they differ on axis {i}); concatenate along the "
                                 f"axis where they differ, or make the others match")

    def output_mask(self, xs, masks, ops: ArrayOps):
        """None if no input has a mask; else each input's mask (all real where it has none)
        joined along ``axis``, or OR-ed when ``axis`` is the last (masks have no feature axis:
        Keras's any() over it)."""
        masks = self._mask_list(masks, len(xs))
        if all(m is None for m in masks):
            return None
        masks = [ops.full(tuple(x.shape[:-1]), x) if m is None else m
                 for x, m in zip(xs, masks)]
        rank = xs[0].ndim
        if self.axis % rank == rank - 1:
            return _any_of(masks)
        return ops.cat(masks, self.axis % rank)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
