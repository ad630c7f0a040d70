"""Small synthetic text data and a tiny recipe, so workflow tests train in about a second."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

WORDS = {
    "pos": ["good", "great", "wonderful", "moving", "superb", "fun"],
    "neg": ["bad", "awful", "boring", "dull", "terrible", "weak"],
    "meh": ["okay", "average", "fine", "plain", "middling", "so"],
}
FILLER = ["the", "film", "a", "plot", "actors", "was", "and", "it", "this", "story"]


def write_reviews(path: Path, classes=("neg", "pos"), n: int = 240, seed: int = 0) -> Path:
    """A CSV of texts whose class shows in a few signal words among filler words."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(n):
            label = classes[i % len(classes)]
            words = list(rng.choice(FILLER, 8)) + list(rng.choice(WORDS[label], 3))
            rng.shuffle(words)
            writer.writerow([" ".join(words), label])
    return path


RECIPE = """
description = "tiny synthetic recipe for tests"

[data]
source = "file"
path = "{path}"
test_split = 0.25
encoding = "tokenizer"
num_words = 40
maxlen = 12
validation = "holdout"
validation_split = 0.2
class_names = {names}

[model]
layers = [
    {{ type = "Embedding", input_dim = 40, output_dim = 8 }},
    {{ type = "GRU", units = 6 }},
    {{ type = "Dense", units = {units}, activation = "{activation}" }},
]

[train]
optimizer = "adam"
learning_rate = 0.02
batch_size = 16
epochs = {epochs}
monitor = "val_accuracy"
early_stopping = false

[reported]
metric = "test_accuracy"
value = 0.9
text = "0.9"
"""


def write_recipe(tmp: Path, classes=("neg", "pos"), epochs: int = 3, name: str = "tiny") -> Path:
    data = write_reviews(tmp / f"{name}.csv", classes)
    binary = len(classes) == 2
    names = '{ neg = "Negative", pos = "Positive" }' if binary else "{}"
    text = RECIPE.format(path=data.as_posix(), names=names, units=1 if binary else len(classes),
                         activation="sigmoid" if binary else "softmax", epochs=epochs)
    recipe = tmp / f"{name}.toml"
    recipe.write_text(text, encoding="utf-8")
    return recipe


#: a graph recipe's layers: a GRU and a Conv1D branch over one embedding, merged (test data's
#: vocabulary and maxlen)
GRAPH_LAYERS = """layers = [
    { type = "Embedding", input_dim = 40, output_dim = 8, name = "emb" },
    { type = "GRU", units = 6, return_sequences = true, name = "gru" },
    { type = "GlobalMaxPooling1D", name = "max", inputs = "gru" },
    { type = "Conv1D", filters = 6, kernel_size = 3, activation = "relu", name = "conv", inputs = "emb" },
    { type = "GlobalAveragePooling1D", name = "mean", inputs = "conv" },
    { type = "Concatenate", inputs = ["max", "mean"] },
    { type = "Dense", units = 1, activation = "sigmoid" },
]
"""


def write_layers_recipe(folder: Path, layers: str, epochs: int = 3) -> Path:
    """The tiny binary recipe with its ``layers = [...]`` replaced by ``layers``."""
    data = write_reviews(folder / "tiny.csv")
    text = RECIPE.format(path=data.as_posix(), names='{ neg = "Negative", pos = "Positive" }',
                         units=1, activation="sigmoid", epochs=epochs)
    start = text.index("layers = [")
    end = text.index("]\n", start) + 2
    recipe = folder / "graph.toml"
    recipe.write_text(text[:start] + layers + text[end:], encoding="utf-8")
    return recipe


@pytest.fixture
def tiny_recipe(tmp_path) -> Path:
    return write_recipe(tmp_path)


@pytest.fixture
def trained_run(tmp_path, tiny_recipe) -> Path:
    """A finished binary run directory, trained through the CLI."""
    from rnnkit.cli import main

    assert main(["train", str(tiny_recipe), "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    return run
