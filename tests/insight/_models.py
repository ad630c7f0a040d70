"""Small models with random weights over a made-up vocabulary, and their text encodings."""

from __future__ import annotations

import numpy as np

import rnnkit
from rnnkit import layers as L
from rnnkit.layers import KerasImdbEncoding, TokenizerEncoding

VOCAB = [f"w{i}" for i in range(1, 30)]
MAXLEN = 9


def corpus(n: int = 40, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(VOCAB, int(rng.integers(3, 12)))) for _ in range(n)]


def tokenizer_encoding(num_words: int = 20, maxlen: int = MAXLEN) -> TokenizerEncoding:
    return TokenizerEncoding.fit(corpus(), num_words=num_words, maxlen=maxlen)


def onehot_encoding(num_words: int = 20, maxlen: int = MAXLEN) -> KerasImdbEncoding:
    """Keras-IMDB ids of the made-up words (rank i for w{i}), marks dropped, one-hot rows."""
    return KerasImdbEncoding({w: i for i, w in enumerate(VOCAB, start=1)}, num_words=num_words,
                             maxlen=maxlen, drop_ids_below=3, onehot=True)


def randomized(model, seed: int = 0, scale: float = 0.8):
    """Every weight uniform in ±scale, biases too (constant ones hide gate mix-ups)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.params():
            layer.set_weights([rng.uniform(-scale, scale, w.shape).astype(w.dtype)
                               for w in layer.params()])
    return model


def model_of(body: list, input_dim: int | None = 20, output_dim: int = 6, mask_zero=False,
             maxlen: int = MAXLEN, features: int | None = None, seed: int = 0, dtype=None,
             scale: float = 0.8):
    """Embedding(input_dim, output_dim) → ``body``, or ``body`` alone on one-hot rows of
    ``features`` when ``input_dim`` is None; built and randomized."""
    if input_dim is None:
        model = rnnkit.Sequential([L.Input(shape=(maxlen, features)), *body])
    else:
        model = rnnkit.Sequential([L.Input(shape=(maxlen,)),
                                   L.Embedding(input_dim, output_dim, mask_zero=mask_zero,
                                               dtype=dtype), *body])
    return randomized(model, seed, scale)


#: one past the tokenizer encoding's ids (num_words = 20): ``with_zero_row`` makes it a zero
#: vector, so ``model.predict`` can compute the baseline (every word → 0) on its own
ZERO_ID = 20


def with_zero_row(body: list, mask_zero=False, dtype=None, scale: float = 0.8):
    model = model_of(body, input_dim=ZERO_ID + 1, mask_zero=mask_zero, dtype=dtype, scale=scale)
    model.layers[0].embeddings[ZERO_ID] = 0.0
    return model


def baseline_row(row: np.ndarray) -> np.ndarray:
    """The encoded row with every word replaced by ZERO_ID (padding stays 0)."""
    return np.where(row != 0, ZERO_ID, row)


#: name → the layers after the Embedding (float32), covering cells, masks, wrappers and stacks
BODIES = {
    "SimpleRNN": lambda: [L.SimpleRNN(5), L.Dense(1, activation="sigmoid")],
    "LSTM": lambda: [L.LSTM(5), L.Dense(1, activation="sigmoid")],
    "GRU": lambda: [L.GRU(5), L.Dense(1, activation="sigmoid")],
    "GRU-reset-before": lambda: [L.GRU(5, reset_after=False), L.Dense(1, activation="sigmoid")],
    "Bidirectional": lambda: [L.Bidirectional(L.LSTM(4)), L.Dropout(0.5),
                              L.Dense(1, activation="sigmoid")],
    "Bidirectional-sum-sequences": lambda: [
        L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="sum"), L.SimpleRNN(3),
        L.Dense(3, activation="softmax")],
    "stacked": lambda: [L.LSTM(5, return_sequences=True), L.GRU(4),
                        L.Dense(3, activation="softmax")],
}
