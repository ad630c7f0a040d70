"""The Stanford Large Movie Review Dataset (aclImdb v1), read straight from its tar.gz.

Layout inside the archive: ``aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt`` (25,000 labelled
reviews per split, ratings 1-4 negative, 7-10 positive) and ``aclImdb/train/unsup/<id>_0.txt``
(50,000 unlabelled reviews). The archive is streamed once, never unpacked to disk; texts are kept
exactly as written (``<br />`` tags included, as in Keras's IMDB). Within a split, reviews are
ordered by class then review id, whatever the member order in the archive.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .corpus import LabelledTexts, TextDataset
from .download import Hashes, fetch
from .encoded import EncodedDataset, encode_like_keras
from .errors import CorruptArchiveError, DataFormatError
from .sources import DatasetSource, default_note, register

FILENAME = "aclImdb_v1.tar.gz"
CLASS_NAMES = ("neg", "pos")
PathLike = str | os.PathLike


@dataclass(frozen=True)
class Review:
    """One review file: split ('train'/'test'), folder ('neg'/'pos'/'unsup'), id, rating, text."""

    split: str
    folder: str
    id: int
    rating: int
    text: str


def _parse_name(name: str) -> tuple[str, str, int, int] | None:
    """``aclImdb/train/pos/123_9.txt`` → ('train', 'pos', 123, 9); None for other members."""
    parts = name.split("/")
    if len(parts) != 4 or not parts[3].endswith(".txt") or parts[1] not in ("train", "test"):
        return None
    if parts[2] not in ("neg", "pos", "unsup"):
        return None
    stem = parts[3][: -len(".txt")]
    review_id, _, rating = stem.partition("_")
    if not (review_id.isdigit() and rating.isdigit()):
        return None
    return parts[1], parts[2], int(review_id), int(rating)


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(
            f"{where}, line {line}: byte {data[exc.start:exc.start + 1]!r} is not valid UTF-8; "
            "the archive is damaged or not the Stanford aclImdb_v1 release: download it again"
        ) from exc


def iter_reviews(archive: PathLike, *, unsup: bool = False) -> Iterator[Review]:
    """Every review in the archive at ``archive``, in archive order (unsup ones only if asked)."""
    try:
        # Stream the archive front to back (no seeking, no index of its members). gzip.open, not
        # tarfile's own "r|gz": tarfile's stream reader takes a truncated download for a short
        # archive, while GzipFile checks the end-of-stream marker and raises EOFError.
        with gzip.open(archive, "rb") as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
            for member in tar:
                key = _parse_name(member.name) if member.isfile() else None
                if key is None or (key[1] == "unsup" and not unsup):
                    continue
                data = tar.extractfile(member).read()
                yield Review(*key, _decode(data, f"{archive}:{member.name}"))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptArchiveError(
            f"{archive} is truncated or damaged ({type(exc).__name__}: {exc}); delete it and download "
            "it again"
        ) from exc


def _split(reviews: list[Review], labelled: bool) -> LabelledTexts:
    reviews.sort(key=lambda r: (r.folder, r.id))
    labels = (np.array([CLASS_NAMES.index(r.folder) for r in reviews], dtype=np.int64) if labelled
              else np.full(len(reviews), -1, dtype=np.int64))
    return LabelledTexts(
        texts=[r.text for r in reviews],
        labels=labels,
        class_names=CLASS_NAMES,
        ids=tuple(f"{r.split}/{r.folder}/{r.id}" for r in reviews),
        meta={"rating": np.array([r.rating for r in reviews], dtype=np.int64)},
    )


def load_data(
    path: PathLike = FILENAME, *, unsup: bool = False, data_dir: PathLike | None = None,
    file_hash: Hashes = None, download: bool | None = None,
) -> TextDataset:
    """The labelled train and test reviews (and, with ``unsup=True``, the 50,000 unlabelled ones).

    Returns a ``TextDataset``: ``(x_train, y_train), (x_test, y_test) = load_data()`` gives lists of
    texts and int64 labels (0 = neg, 1 = pos); ``.train.ids`` / ``.train.meta['rating']`` keep each
    review's id and star rating; ``.unlabelled`` holds the unsup reviews (label -1, rating 0).
    """
    archive = fetch(path, file_hash=file_hash, data_dir=data_dir, download=download)
    groups: dict[str, list[Review]] = {"train": [], "test": [], "unsup": []}
    for review in iter_reviews(archive, unsup=unsup):
        groups["unsup" if review.folder == "unsup" else review.split].append(review)
    for split in ("train", "test"):
        if not groups[split]:
            raise CorruptArchiveError(f"{archive} holds no aclImdb/{split}/pos|neg reviews: it is not aclImdb_v1")
    return TextDataset(
        train=_split(groups["train"], labelled=True),
        test=_split(groups["test"], labelled=True),
        unlabelled=_split(groups["unsup"], labelled=False) if unsup else None,
    )


def load_sequences(
    path: PathLike = FILENAME, num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
    seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3, *,
    word_index: dict[str, int] | None = None, data_dir: PathLike | None = None, file_hash: Hashes = None,
    download: bool | None = None,
) -> EncodedDataset:
    """The aclImdb reviews encoded like ``keras.datasets.imdb.load_data`` (same arguments).

    ``word_index=None`` ranks words by their frequency in the training reviews; pass
    ``rnnkit.datasets.imdb.get_word_index()`` to use Keras's published ranks instead.
    Unpacks as ``(x_train, y_train), (x_test, y_test)``; ``.decode(seq)`` reads a sequence back.
    """
    dataset = load_data(path, data_dir=data_dir, file_hash=file_hash, download=download)
    return encode_like_keras(dataset, num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed,
                             start_char=start_char, oov_char=oov_char, index_from=index_from,
                             word_index=word_index)


def _note(data) -> str:
    if data["encoding"] == "keras_imdb":
        return default_note(data)
    return f"{data['source']} (raw text, Tokenizer({data['num_words']}))"


register(DatasetSource("aclimdb", load=lambda data: load_data(), note=_note,
                       summary="the raw Stanford IMDB reviews (aclImdb_v1.tar.gz)"))
