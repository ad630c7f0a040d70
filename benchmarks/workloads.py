"""The study material's models at the shapes it trains them (issue 7: W1–W8).

Each workload is described once, with a ``layers`` module argument, so the same description
builds the rnnkit model and the Keras model; the hand-written PyTorch model is built beside it
from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Workload:
    key: str
    description: str
    layers: Callable  # layers module → list of layers (after the input)
    vocab: int        # ids in [1, vocab), or the one-hot width when ``one_hot``
    time: int
    batch: int
    classes: int = 1  # 1: sigmoid + binary crossentropy; else softmax + sparse categorical
    one_hot: bool = False

    @property
    def loss(self) -> str:
        return "binary_crossentropy" if self.classes == 1 else "sparse_categorical_crossentropy"

    def data(self, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        ids = rng.integers(1, self.vocab, (self.batch, self.time))
        x = np.eye(self.vocab, dtype=np.float32)[ids] if self.one_hot else ids.astype(np.int32)
        y = rng.integers(0, max(self.classes, 2), self.batch)
        return x, (y.astype(np.float32) if self.classes == 1 else y)

    @property
    def input_shape(self) -> tuple:
        return (self.time, self.vocab) if self.one_hot else (self.time,)


def _head(L, classes):
    return L.Dense(1, activation="sigmoid") if classes == 1 else L.Dense(classes, activation="softmax")


WORKLOADS = {w.key: w for w in [
    Workload("W1", "Embedding(500,16)+LSTM(8), T=100, B=64",
             lambda L: [L.Embedding(500, 16), L.LSTM(8), _head(L, 1)], 500, 100, 64),
    Workload("W2", "Embedding(500,16)+GRU(8), T=100, B=64",
             lambda L: [L.Embedding(500, 16), L.GRU(8), _head(L, 1)], 500, 100, 64),
    Workload("W3", "Embedding(500,16)+2×LSTM(8, dropout=0.3), T=100, B=64",
             lambda L: [L.Embedding(500, 16), L.LSTM(8, dropout=0.3, return_sequences=True),
                        L.LSTM(8, dropout=0.3), _head(L, 1)], 500, 100, 64),
    Workload("W4", "Embedding(10000,32)+SimpleRNN(32), T=500, B=128",
             lambda L: [L.Embedding(10000, 32), L.SimpleRNN(32), _head(L, 1)], 10000, 500, 128),
    Workload("W5", "Embedding(10000,2)+LSTM(32), T=500, B=128",
             lambda L: [L.Embedding(10000, 2), L.LSTM(32), _head(L, 1)], 10000, 500, 128),
    Workload("W6", "Embedding(10000,128)+Bidirectional(GRU(64)), T=300, B=64",
             lambda L: [L.Embedding(10000, 128), L.Bidirectional(L.GRU(64)), _head(L, 1)],
             10000, 300, 64),
    Workload("W7", "Embedding(10000,256)+GRU(256,seq)+GRU(128)+Dense(46), T=300, B=32",
             lambda L: [L.Embedding(10000, 256), L.GRU(256, return_sequences=True), L.GRU(128),
                        _head(L, 46)], 10000, 300, 32, classes=46),
    Workload("W8", "one-hot(100)+SimpleRNN(32), T=100, B=32",
             lambda L: [L.SimpleRNN(32), _head(L, 1)], 100, 100, 32, one_hot=True),
    # The README's main job (recipes/default.toml), for its training-step figure.
    Workload("D", "the default recipe: Embedding(20000,32)+GRU(32), T=300, B=64",
             lambda L: [L.Embedding(20000, 32), L.GRU(32), _head(L, 1)], 20000, 300, 64),
]}


def recurrent_flops(model_layers, input_shape, batch) -> float:
    """FLOPs of one training step in the recurrent layers' matrix products.

    Forward: 2·B·T·(in + u)·(k·u) per direction (x·W for all steps, h·U per step); backward
    needs three times as many products per step (dW, dx; dU, dh) minus one: 3× forward in total.
    """
    from rnnkit.layers import RNN, Bidirectional

    total, shape = 0.0, (None,) + tuple(input_shape)
    for layer in model_layers:
        inner = layer.forward_layer if isinstance(layer, Bidirectional) else layer
        if isinstance(inner, RNN):
            k, u = inner.cell.n_gates, inner.units
            directions = 2 if isinstance(layer, Bidirectional) else 1
            total += directions * 2 * batch * shape[1] * (shape[-1] + u) * k * u * 3
        shape = layer.compute_output_shape(shape)
    return total
