"""``pad_sequences``: ragged integer sequences to one ``(num_samples, maxlen)`` array, as Keras 3."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def _sample_shape(sequences: Sequence) -> tuple[tuple[int, ...], list[int]]:
    """Lengths of all sequences and the trailing shape of one step, from the first non-empty one."""
    lengths, sample_shape, found = [], (), False
    for x in sequences:
        try:
            n = len(x)
        except TypeError as exc:
            raise ValueError(f"`sequences` must be a list of sequences; found the non-sequence {x!r}") from exc
        lengths.append(n)
        if n and not found:
            sample_shape, found = np.asarray(x).shape[1:], True
    return sample_shape, lengths


def pad_sequences(
    sequences: Sequence[Sequence[Any]],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or truncate) every sequence to ``maxlen`` steps.

    Args:
        sequences: ``num_samples`` sequences (lists or arrays; steps may themselves be arrays).
        maxlen: output length; ``None`` means the longest sequence's length.
        dtype: output dtype (``object`` or a string dtype for string tokens).
        padding: ``'pre'`` pads at the start, ``'post'`` at the end.
        truncating: ``'pre'`` drops steps from the start of long sequences, ``'post'`` from the end.
        value: the padding value.

    Returns:
        Array of shape ``(num_samples, maxlen) + step_shape`` and dtype ``dtype``.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be a list (or array) of sequences, not an iterator")
    if padding not in ("pre", "post"):
        raise ValueError(f"padding must be 'pre' or 'post', got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"truncating must be 'pre' or 'post', got {truncating!r}")
    sample_shape, lengths = _sample_shape(sequences)
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif int(maxlen) != maxlen or maxlen < 0:
        raise ValueError(f"maxlen must be a non-negative integer or None, got {maxlen!r}")
    maxlen = int(maxlen)
    is_text_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text_dtype:
        raise ValueError(f"a string padding value needs dtype=object (or a string dtype), not {dtype!r}")

    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for row, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = np.asarray(seq[-maxlen:] if truncating == "pre" else seq[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"sequence {row} has steps of shape {kept.shape[1:]}, but the first non-empty "
                f"sequence's steps have shape {sample_shape}"
            )
        if padding == "post":
            out[row, : len(kept)] = kept
        else:
            out[row, -len(kept):] = kept
    return out
