"""The planted-word task: the label is decided by one marker word at a random place among filler
words, so the right explanation is known in advance — the marker decided."""

from __future__ import annotations

import numpy as np

import rnnkit
from rnnkit import layers as L
from rnnkit.layers import TokenizerEncoding

FILLER = ["the", "film", "a", "plot", "actors", "was", "and", "it", "this", "story", "scene",
          "of", "to", "in", "director", "music", "ending", "camera", "cast", "script", "time",
          "we", "they", "there", "some", "then", "very", "quite", "long", "short"]
MARKERS = {1: ["superb", "delightful"], 0: ["dreadful", "pointless"]}
MAXLEN = 16
CELLS = {"SimpleRNN": L.SimpleRNN, "LSTM": L.LSTM, "GRU": L.GRU}


def planted_texts(n: int, seed: int) -> tuple[list[str], np.ndarray, list[int]]:
    """(texts, labels, the marker's word index in each text)."""
    rng = np.random.default_rng(seed)
    texts, labels, where = [], [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, int(rng.integers(6, MAXLEN + 1)) - 1))
        at = int(rng.integers(len(words) + 1))
        words.insert(at, str(rng.choice(MARKERS[label])))
        texts.append(" ".join(words))
        labels.append(label)
        where.append(at)
    return texts, np.asarray(labels, "float32"), where


def neutral_texts(n: int, seed: int) -> list[str]:
    """Filler alone: no marker, no evidence either way."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(FILLER, int(rng.integers(6, MAXLEN + 1)))) for _ in range(n)]


def trained(cell: str, units: int = 16, epochs: int = 6, n: int = 1600, seed: int = 0,
            mask_zero: bool = False, neutral: int = 0):
    """(model, encoder) of Embedding → ``cell`` → Dense(1, sigmoid) trained on the task, with
    ``neutral`` filler-only texts labelled 0.5."""
    rnnkit.set_random_seed(seed)
    texts, labels, _ = planted_texts(n, seed)
    texts += neutral_texts(neutral, seed + 1000)
    labels = np.concatenate([labels, np.full(neutral, 0.5, "float32")])
    encoder = TokenizerEncoding.fit(texts, num_words=64, maxlen=MAXLEN)
    model = rnnkit.Sequential([L.Input(shape=(MAXLEN,)), L.Embedding(64, 8, mask_zero=mask_zero),
                               CELLS[cell](units), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(encoder.encode(texts), labels, epochs=epochs, batch_size=32, verbose=0)
    return model, encoder
