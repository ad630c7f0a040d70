"""``keras.models``: Model (``Model(inputs, outputs)``: a Functional model), Sequential and
loading/saving whole models."""

from .functional.model import Functional
from .model import Model, Sequential
from .saving import load_model, save_model

__all__ = ["Model", "Functional", "Sequential", "load_model", "save_model"]
