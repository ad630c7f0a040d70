"""Keras-named layers, each with hand-written NumPy forward and backward passes."""

from .base import Layer, clear_session
from .core import Dense, Dropout, Embedding, Input, InputLayer

__all__ = ["Layer", "clear_session", "Input", "InputLayer", "Dense", "Embedding", "Dropout"]
