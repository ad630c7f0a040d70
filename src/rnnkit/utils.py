"""Keras's ``keras.utils`` helpers that rnnkit provides."""

from .random import set_random_seed

__all__ = ["set_random_seed"]
