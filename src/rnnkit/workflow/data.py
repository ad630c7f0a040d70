"""A recipe's ``[data]`` section → train/validation/test arrays and the fitted encoder.

Sources are the loaders of ``rnnkit.datasets`` (all offline-capable through the cache):
``movie_reviews`` (embedded, the default), ``aclimdb`` (the raw Stanford reviews: its test split
is the test set), ``reuters21578`` (ModApte, the N most frequent single-label topics) and
``file`` (your own CSV/TSV/JSONL file of texts and labels, with its own test file or a seeded
stratified split). The encoder is fitted on the training texts only, so no test word leaks into
the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.corpus import LabelledTexts, TextDataset
from ..data.split import stratified_split_indices
from ..random import make_rng
from .classes import Classes
from .encoders import KerasImdbEncoder, TokenizerEncoder

SOURCES = ("movie_reviews", "aclimdb", "reuters21578", "file")


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
    from .. import datasets

    source = data["source"]
    if source == "movie_reviews":
        return datasets.movie_reviews.load_data(test_split=data["test_split"],
                                                seed=data["split_seed"])
    if source == "aclimdb":
        return datasets.aclimdb.load_data()
    if source == "reuters21578":
        return datasets.reuters21578.load_data(categories=data["categories"])
    if source == "file":
        return datasets.custom.load_data(
            data["path"], data["test_path"] or None, test_split=data["test_split"],
            seed=data["split_seed"], classes=data["classes"] or None, **read_options(data))
    raise ValueError(f"unknown data.source {source!r}; use one of {', '.join(SOURCES)}")


def read_options(data: dict) -> dict:
    """How a ``[data]`` section reads a labelled file (``custom.read_labelled_file``'s keywords)."""
    return {"text_column": data["text_column"], "label_column": data["label_column"],
            "format": data["format"] or None, "encoding": data["file_encoding"],
            "empty": data["empty"]}


def test_source(data: dict) -> str:
    """Where a ``[data]`` section's test set comes from, in words."""
    if data["source"] == "file" and data["test_path"]:
        return f"the test file {data['test_path']}"
    if data["source"] in ("file", "movie_reviews"):
        where = data["path"] if data["source"] == "file" else "the movie reviews"
        return (f"a {data['test_split']:.0%} stratified split of {where} "
                f"(data.split_seed {data['split_seed']})")
    return f"the {data['source']} test split"


def fit_encoder(data: dict, texts: list[str]):
    """The encoder of a ``[data]`` section, fitted on the training texts."""
    if data["encoding"] == "tokenizer":
        return TokenizerEncoder.fit(texts, data["num_words"], data["maxlen"])
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
