"""``keras.models``: the Sequential model and loading/saving whole models."""

from .model import Sequential
from .saving import load_model, save_model

__all__ = ["Sequential", "load_model", "save_model"]
