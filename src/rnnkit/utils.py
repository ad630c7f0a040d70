"""Keras's ``keras.utils`` helpers that rnnkit provides."""

from .data.labels import to_categorical
from .data.sequence import pad_sequences
from .random import set_random_seed

__all__ = ["set_random_seed", "pad_sequences", "to_categorical"]
