"""rnnkit: recurrent neural networks for text classification, from the equations to the GPU.

``import rnnkit as keras`` and ``from rnnkit import layers`` port a Keras notebook.
"""

from . import activations, config, initializers, layers, utils
from . import datasets, preprocessing
from .random import set_random_seed
from . import callbacks, losses, metrics, models, optimizers, saving, scratch
from .layers import Input
from .model import Model, Sequential
from .classifier import TextClassifier, load_classifier

__version__ = "0.1.0"

__all__ = ["activations", "config", "initializers", "layers", "utils", "set_random_seed",
           "datasets", "preprocessing",
           "callbacks", "losses", "metrics", "models", "optimizers", "saving", "scratch", "Input",
           "Model", "Sequential", "TextClassifier", "load_classifier"]
