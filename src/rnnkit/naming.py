"""Keras's names: snake_case class names and per-kind counters (lstm, lstm_1, …)."""

from __future__ import annotations

import re
from collections import defaultdict

_name_counts: defaultdict[str, int] = defaultdict(int)


def snake_case(name: str) -> str:
    """CamelCase to Keras's snake_case: SimpleRNN → simple_rnn, GlorotUniform → glorot_uniform,
    Conv1D → conv1d (a digit joins the capital after it, as in keras.src.utils.naming)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """The first layer of a kind is ``base``, the next ``base_1``, ``base_2`` …"""
    n = _name_counts[base]
    _name_counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def clear_session() -> None:
    """Reset automatic layer names, like ``keras.backend.clear_session``."""
    _name_counts.clear()
