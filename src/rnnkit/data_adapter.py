"""Arrays in, batches out: the checks and slicing ``fit``/``evaluate``/``predict`` share.

Every check fails with one line naming what was expected and what came, before any training
step runs, so a bad array never surfaces as a shape error deep inside a layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np


def as_array(name: str, a) -> np.ndarray:
    """``a`` as a rectangular numeric array with a sample axis, or a one-line error."""
    if a is None:
        raise ValueError(f"{name} is None; pass an array with one row per sample")
    try:
        arr = np.asarray(a)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{name} is ragged (rows of different lengths); pad it to one length, "
                         f"e.g. with pad_sequences") from None
    if arr.dtype == object:
        raise ValueError(f"{name} is ragged or not numeric (dtype object); pad sequences to one "
                         f"length, e.g. with pad_sequences")
    if arr.dtype.kind in "US":
        raise TypeError(f"{name} holds strings, but this model has no text layer to read them; "
                        f"encode the texts to ids first, or use a model that starts with one "
                        f"(a run's model.keras, or layers.TextVectorization)")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a sample axis, got a scalar")
    if len(arr) == 0:
        raise ValueError(f"{name} is empty (0 samples)")
    return arr


def check_finite(name: str, a: np.ndarray) -> None:
    """Refuse NaN or ±inf, naming the first bad sample."""
    if a.dtype.kind != "f":
        return
    bad = ~np.isfinite(a.reshape(len(a), -1)).all(axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(f"{name} contains NaN or infinite values in {int(bad.sum())} sample(s) "
                         f"(first: sample {first}); clean or impute them first")


def check_inputs(x, y=None, *, x_name: str = "x", y_name: str = "y"):
    """(x, y) as arrays of equal length with finite values; y may be None."""
    x = as_array(x_name, x)
    check_finite(x_name, x)
    if y is None:
        return x, None
    y = as_array(y_name, y)
    if len(x) != len(y):
        raise ValueError(f"{x_name} and {y_name} must have the same number of samples, "
                         f"got {len(x)} and {len(y)}")
    check_finite(y_name, y)
    return x, y


def check_batch_size(batch_size) -> int:
    if batch_size is None:
        return 32  # Keras's default
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def train_validation_split(x: np.ndarray, y: np.ndarray, validation_split: float,
                           sample_weight: np.ndarray | None = None):
    """Keras's split: the *last* fraction of the samples (taken before any shuffling); returns
    (x, y, sample_weight) for training, then for validation (the weights split alike)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split!r}")
    split_at = int(math.floor(len(x) * (1.0 - validation_split)))
    if split_at == 0 or split_at == len(x):
        raise ValueError(f"validation_split={validation_split} leaves an empty training or "
                         f"validation set for {len(x)} samples")
    (x, x_val), (y, y_val) = _split(x, split_at), _split(y, split_at)
    sw, sw_val = _split(sample_weight, split_at)
    return (x, y, sw), (x_val, y_val, sw_val)


def _split(a, at: int):
    """(first ``at`` rows, the rest); (None, None) for no array."""
    if a is None:
        return None, None
    return a[:at], a[at:]


def unpack_validation_data(validation_data):
    """(x_val, y_val, val_sample_weight or None) from Keras's ``validation_data`` tuple."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        got = f"a sequence of {len(validation_data)}" if isinstance(
            validation_data, (tuple, list)) else type(validation_data).__name__
        raise ValueError(f"validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                         f"val_sample_weight), got {got}")
    return (*validation_data[:2], validation_data[2] if len(validation_data) == 3 else None)


def check_sample_weight(sample_weight, n: int, name: str = "sample_weight"):
    """Sample weights as a float32 array with one row per sample, or None; one-line errors."""
    if sample_weight is None:
        return None
    w = as_array(name, sample_weight)
    if len(w) != n:
        raise ValueError(f"{name} must have one weight per sample ({n}), got {len(w)}")
    check_finite(name, w.astype(np.float32))
    return w.astype(np.float32)


def class_weight_to_sample_weights(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Keras's conversion: each sample weighs ``class_weight[its class]`` (1.0 for a class the
    dict lacks); the class is the label, rounded (binary or integer labels), or the argmax of a
    one-hot row."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class index: weight}}, got "
                        f"{type(class_weight).__name__}")
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    labels = np.round(labels).astype(np.int32).tolist()
    return np.array([class_weight.get(label, 1.0) for label in labels], np.float32)


def num_batches(n: int, batch_size: int) -> int:
    return -(-n // batch_size)


def batch_indices(n: int, batch_size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Index arrays of consecutive batches; a fresh permutation when ``rng`` is given."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]
