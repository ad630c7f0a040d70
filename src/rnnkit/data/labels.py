"""Labels: class ids from raw labels (mapping kept), and one-hot matrices (``to_categorical``)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .errors import DataFormatError


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class ids, as ``keras.utils.to_categorical`` does for NumPy input.

    Args:
        x: class ids of any shape; a trailing axis of size 1 is dropped (``(n, 1)`` → ``(n,)``).
            Floats are truncated to integers, like Keras.
        num_classes: number of classes; ``None`` means ``max(x) + 1``.

    Returns:
        float64 array of shape ``x.shape + (num_classes,)`` (Keras's dtype for NumPy input).

    Unlike Keras, an id outside ``[0, num_classes)`` raises ValueError (Keras would raise
    IndexError, or silently wrap a negative id around).
    """
    x = np.array(x, dtype="int64")
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        if x.size == 0:
            raise ValueError("to_categorical got no labels: pass num_classes= to size the output")
        num_classes = int(x.max()) + 1
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(
            f"class ids must lie in [0, {num_classes}), found {int(x.min())}..{int(x.max())}: "
            "pass a larger num_classes or fix the labels"
        )
    out = np.zeros((x.shape[0], num_classes))
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))


def label_key(label: Any) -> str:
    # Labels from CSV are strings and from JSON may be ints/bools; one spelling per class keeps
    # "1" and 1 the same class.
    if isinstance(label, bool):
        return str(int(label))
    if isinstance(label, float) and label.is_integer():
        return str(int(label))
    return str(label).strip()


def _is_int(s: str) -> bool:
    try:
        int(s)
    except ValueError:
        return False
    return True


def encode_labels(
    labels: Sequence[Any], classes: Sequence[Any] | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map raw labels to class ids ``0..k-1``.

    Args:
        labels: one raw label per example (strings, ints or bools).
        classes: the class names in id order. ``None`` derives them: integer-like labels sorted
            numerically (so 0/1 labels keep their values), other labels sorted alphabetically.

    Returns:
        ``(ids, class_names)``: int64 array of shape ``(n,)`` and the class names as strings.

    Raises:
        ValueError: a label is not among ``classes``.
    """
    keys = [label_key(lab) for lab in labels]
    if classes is None:
        distinct = set(keys)
        if all(_is_int(k) for k in distinct):
            names = tuple(sorted(distinct, key=int))
        else:
            names = tuple(sorted(distinct))
    else:
        names = tuple(label_key(c) for c in classes)
        if len(set(names)) != len(names):
            raise DataFormatError(f"classes {list(names)} name a class twice")
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted(set(keys) - index.keys())
    if unknown:
        raise DataFormatError(f"labels {unknown[:5]} are not among the classes {list(names)}: add them to "
                         "{opt:classes=} or fix the labels")
    return np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys)), names
