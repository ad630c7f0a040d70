"""Keras's integer-encoded IMDB and Reuters datasets, read from Keras's own files.

Same signatures, defaults and arrays as ``keras.datasets.imdb`` / ``keras.datasets.reuters``; the
extra keyword-only arguments say where the files are (``data_dir``), which checksum to accept
(``file_hash``, e.g. for a mirror or a test fixture) and whether to download (``download``).
The ``.npz`` files hold pickles, so they are opened only after their checksum matched.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .download import KNOWN_FILES, Hashes, data_home, fetch
from .errors import DataFormatError, MissingDataFileError
from .keras_encoding import decode, imdb_pipeline, reuters_pipeline
from .keras_npz import load_npz

Split = tuple[np.ndarray, np.ndarray]
PathLike = str | os.PathLike


def _load_members(path: PathLike, default_name: str, members: tuple[str, ...], file_hash: Hashes,
                  data_dir: PathLike | None, download: bool | None) -> dict[str, np.ndarray]:
    known = KNOWN_FILES[default_name]
    # Whatever the file is called, it is unpickled only if it has an accepted checksum: the
    # published one unless the caller names another.
    local = fetch(path, url=known.url, file_hash=file_hash or known.hashes, data_dir=data_dir,
                  download=download)
    arrays = load_npz(local)
    missing = [m for m in members if m not in arrays]
    if missing:
        raise DataFormatError(f"{local} lacks the arrays {missing}: it is not a Keras {default_name} file")
    return arrays


def load_imdb(
    path: PathLike = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
    maxlen: int | None = None, seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
    index_from: int = 3, *, file_hash: Hashes = None, data_dir: PathLike | None = None,
    download: bool | None = None,
) -> tuple[Split, Split]:
    """``keras.datasets.imdb.load_data``: 25,000 + 25,000 reviews as word-id lists, labels 0/1.

    Returns ``(x_train, y_train), (x_test, y_test)``: x are 1-D object arrays of lists of ints,
    y int64 arrays of shape ``(n,)``. See ``keras_encoding`` for the exact encoding steps.
    """
    try:
        f = _load_members(path, "imdb.npz", ("x_train", "y_train", "x_test", "y_test"),
                          file_hash, data_dir, download)
    except MissingDataFileError as e:
        raise _with_aclimdb_hint(e, data_dir) from None
    return imdb_pipeline(
        f["x_train"], f["y_train"], f["x_test"], f["y_test"], num_words=num_words, skip_top=skip_top,
        maxlen=maxlen, seed=seed, start_char=start_char, oov_char=oov_char, index_from=index_from,
    )


def _with_aclimdb_hint(error: MissingDataFileError, data_dir) -> MissingDataFileError:
    """imdb.npz is missing: where the raw aclImdb archive is at hand, say how to get the same
    encoding from it (the Keras ids, from the text of the same 50,000 reviews)."""
    from .aclimdb import FILENAME
    if not (data_home(data_dir) / FILENAME).is_file():
        return error
    return MissingDataFileError(
        f"{error}; {FILENAME} is there, and rnnkit.datasets.aclimdb.load_sequences(num_words=…, "
        f"word_index=rnnkit.datasets.imdb.get_word_index()) encodes its 50,000 reviews the "
        f"same way (Keras's word ranks), as (x_train, y_train), (x_test, y_test)")


def load_reuters(
    path: PathLike = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
    maxlen: int | None = None, test_split: float = 0.2, seed: int = 113, start_char: int | None = 1,
    oov_char: int | None = 2, index_from: int = 3, *, file_hash: Hashes = None,
    data_dir: PathLike | None = None, download: bool | None = None,
) -> tuple[Split, Split]:
    """``keras.datasets.reuters.load_data``: 11,228 newswires over 46 topics as word-id lists.

    Returns ``(x_train, y_train), (x_test, y_test)``; the last ``test_split`` share is the test set.
    """
    f = _load_members(path, "reuters.npz", ("x", "y"), file_hash, data_dir, download)
    return reuters_pipeline(
        f["x"], f["y"], num_words=num_words, skip_top=skip_top, maxlen=maxlen, test_split=test_split,
        seed=seed, start_char=start_char, oov_char=oov_char, index_from=index_from,
    )


def _word_index(path: PathLike, default_name: str, file_hash: Hashes, data_dir: PathLike | None,
                download: bool | None) -> dict[str, int]:
    known = KNOWN_FILES[default_name]
    local = fetch(path, url=known.url, file_hash=file_hash or known.hashes, data_dir=data_dir,
                  download=download)
    with open(local, encoding="utf-8") as f:
        return json.load(f)


def imdb_word_index(path: PathLike = "imdb_word_index.json", *, file_hash: Hashes = None,
                    data_dir: PathLike | None = None, download: bool | None = None) -> dict[str, int]:
    """``keras.datasets.imdb.get_word_index``: word → rank (1 = most frequent); id = rank + index_from."""
    return _word_index(path, "imdb_word_index.json", file_hash, data_dir, download)


def reuters_word_index(path: PathLike = "reuters_word_index.json", *, file_hash: Hashes = None,
                       data_dir: PathLike | None = None, download: bool | None = None) -> dict[str, int]:
    """``keras.datasets.reuters.get_word_index``: word → rank (1 = most frequent)."""
    return _word_index(path, "reuters_word_index.json", file_hash, data_dir, download)


# The topic of each Keras Reuters label id, as published by keras.datasets.reuters.get_label_names.
REUTERS_LABEL_NAMES: tuple[str, ...] = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi",
    "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal",
    "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc",
    "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def decode_sequence(sequence, word_index: dict[str, int], *, start_char: int | None = 1,
                    oov_char: int | None = 2, index_from: int = 3) -> str:
    """Ids from ``load_imdb``/``load_reuters`` back to text (see ``keras_encoding.decode``)."""
    return decode(sequence, word_index, start_char=start_char, oov_char=oov_char, index_from=index_from)
