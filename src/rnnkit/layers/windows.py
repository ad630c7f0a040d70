"""Keras's window arithmetic along time for Conv1D and MaxPooling1D, shared by both engines.

A window of ``size`` taps spaced ``dilation`` apart spans e = (size − 1)·dilation + 1 steps and
moves ``stride`` steps at a time over the input padded by (left, right):

    L_out = ⌊(left + L + right − e) / stride⌋ + 1

``padding`` decides (left, right), as Keras 3 on its torch backend does
(its torch backend's ``_compute_padding_length``; Conv1D's ``_compute_causal_padding``):

* ``valid``: (0, 0), so L_out = ⌊(L − e)/s⌋ + 1;
* ``same``: L_out = ⌈L/s⌉; total = e − 1 when s = 1, else max(0, (L_out − 1)·s + e − L);
  left = ⌊total/2⌋, the odd step on the right;
* ``causal`` (Conv1D only): (e − 1, 0), so output t sees inputs t − e + 1 … t and never the future.

Output step o reads padded steps o·s + j·d for j = 0 … size − 1 (``tap_positions``).
"""

from __future__ import annotations

import numpy as np

from .base import check_positive_int

PADDINGS = ("valid", "same", "causal")


def check_padding(owner: str, padding, allowed=PADDINGS) -> str:
    padding = str(padding).lower()
    if padding not in allowed:
        raise ValueError(f"{owner}: padding must be one of {', '.join(allowed)}, "
                         f"got {padding!r}")
    return padding


def single_size(name: str, value) -> int:
    """A positive 1-D size given as an int or a one-element tuple/list (Keras's configs write
    ``(2,)``)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be one integer for a 1-D layer, got {value!r}")
        value = value[0]
    return check_positive_int(name, value)


def span(size: int, dilation: int = 1) -> int:
    """e: the steps one window covers, (size − 1)·dilation + 1."""
    return (size - 1) * dilation + 1


def pads(length: int, size: int, stride: int, padding: str, dilation: int = 1) -> tuple[int, int]:
    """(left, right) padding of an input of ``length`` steps (see the module docstring)."""
    e = span(size, dilation)
    if padding == "causal":
        return e - 1, 0
    if padding == "valid":
        return 0, 0
    if stride == 1:
        total = e - 1
    else:
        total = max(0, (-(-length // stride) - 1) * stride + e - length)
    return total // 2, total - total // 2


def output_length(length, size: int, stride: int, padding: str, dilation: int = 1):
    """L_out for ``length`` input steps (None stays None: an unknown length)."""
    if length is None:
        return None
    left, right = pads(length, size, stride, padding, dilation)
    return (left + length + right - span(size, dilation)) // stride + 1


def tap_positions(out_length: int, size: int, stride: int, dilation: int = 1) -> np.ndarray:
    """(L_out, size) indices into the padded input: row o holds o·s + j·d."""
    return np.arange(out_length)[:, None] * stride + np.arange(size)[None, :] * dilation
