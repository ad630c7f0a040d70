"""Keras's integer encoding of the IMDB and Reuters datasets, step by step.

The stored data are word *ranks* (1 = most frequent word). ``load_data`` then, in this order:
shuffles with ``np.random.RandomState(seed)``; prepends ``start_char`` and adds ``index_from`` to
every rank; drops sequences whose length (start mark included) is not ``< maxlen``; and replaces
every id outside ``[skip_top, num_words)`` by ``oov_char`` (or drops it when ``oov_char`` is None).
Two Keras quirks are reproduced on purpose, because we promise Keras's arrays:

- the bounds apply to *shifted* ids, so ``skip_top`` also hides ``start_char`` when it is larger;
- with ``num_words=None`` the bound is the largest id present, exclusive, so the single rarest
  word becomes ``oov_char``.

One deliberate difference: sequences come back as a 1-D object array of lists even in the
degenerate case where all have the same length (where ``np.array`` in Keras would build 2-D).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .text import DEFAULT_FILTERS, Tokenizer, text_to_word_sequence

Ragged = Sequence[Sequence[int]]


def object_array(seqs: Ragged) -> np.ndarray:
    """A 1-D object array whose items are the given lists, shape ``(len(seqs),)``."""
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = list(s)
    return out


def shuffle_pair(xs: np.ndarray, ys: np.ndarray, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """Permute both arrays alike, drawing the permutation as Keras does."""
    order = np.arange(len(xs))
    rng.shuffle(order)
    return xs[order], ys[order]


def shift_ids(xs: Ragged, start_char: int | None, index_from: int) -> list[list[int]]:
    """Add ``index_from`` to every rank and prepend ``start_char`` (when not None)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def drop_long(xs: list[list[int]], ys: Sequence, maxlen: int | None) -> tuple[list[list[int]], list]:
    """Keep the sequences shorter than ``maxlen`` (Keras filters, it does not truncate)."""
    if not maxlen:
        return xs, list(ys)
    kept = [(x, y) for x, y in zip(xs, ys) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(
    xs: list[list[int]], num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list[int]]:
    """Replace (or drop, when ``oov_char`` is None) ids outside ``[skip_top, num_words)``."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def imdb_pipeline(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
    num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None, seed: int = 113,
    start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Keras ``imdb.load_data`` applied to rank sequences: train and test each shuffled, then encoded.

    Returns ``(x_train, y_train), (x_test, y_test)``; x are 1-D object arrays of lists of ints.
    """
    rng = np.random.RandomState(seed)
    x_train, y_train = shuffle_pair(np.asarray(x_train, dtype=object), np.asarray(y_train), rng)
    x_test, y_test = shuffle_pair(np.asarray(x_test, dtype=object), np.asarray(y_test), rng)
    train, y_train = drop_long(shift_ids(x_train, start_char, index_from), y_train, maxlen)
    test, y_test = drop_long(shift_ids(x_test, start_char, index_from), y_test, maxlen)
    if maxlen and (not train or not test):
        raise ValueError(f"no sequence is shorter than maxlen={maxlen} in one of the splits: increase maxlen")
    xs = limit_vocabulary(train + test, num_words, skip_top, oov_char)
    n = len(train)
    labels = np.concatenate([np.asarray(y_train), np.asarray(y_test)])
    return (object_array(xs[:n]), labels[:n]), (object_array(xs[n:]), labels[n:])


def reuters_pipeline(
    xs: np.ndarray, ys: np.ndarray, *,
    num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None, test_split: float = 0.2,
    seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Keras ``reuters.load_data`` applied to rank sequences: one shuffle, then the last
    ``test_split`` share (after filtering) becomes the test set."""
    if not 0.0 <= test_split <= 1.0:
        raise ValueError(f"test_split must lie in [0, 1], got {test_split!r}")
    rng = np.random.RandomState(seed)
    xs, ys = shuffle_pair(np.asarray(xs, dtype=object), np.asarray(ys), rng)
    seqs, labels = drop_long(shift_ids(xs, start_char, index_from), ys, maxlen)
    seqs = limit_vocabulary(seqs, num_words, skip_top, oov_char)
    labels = np.asarray(labels)
    cut = int(len(seqs) * (1 - test_split))
    return (object_array(seqs[:cut]), labels[:cut]), (object_array(seqs[cut:]), labels[cut:])


def decode(
    sequence: Sequence[int], word_index: Mapping[str, int], *,
    start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
) -> str:
    """Turn encoded ids back into words: ``[START]``/``[OOV]`` marks, padding (0) skipped,
    ``[UNK]`` for an id that names no word."""
    words = {rank + index_from: w for w, rank in word_index.items()}
    marks = {}
    if start_char is not None:
        marks[start_char] = "[START]"
    if oov_char is not None:
        marks[oov_char] = "[OOV]"
    out = []
    for i in sequence:
        i = int(i)
        if i == 0 and 0 not in marks:
            continue
        out.append(marks.get(i) or words.get(i, "[UNK]"))
    return " ".join(out)


def rank_vocabulary(texts: Sequence[str], filters: str = DEFAULT_FILTERS, lower: bool = True) -> dict[str, int]:
    """Word → rank (1 = most frequent) over ``texts``, ties in first-appearance order."""
    tokenizer = Tokenizer(filters=filters, lower=lower)
    tokenizer.fit_on_texts(texts)
    return tokenizer.word_index


def texts_to_ranks(
    texts: Sequence[str], word_index: Mapping[str, int], filters: str = DEFAULT_FILTERS, lower: bool = True
) -> np.ndarray:
    """Each text as its words' ranks; words missing from ``word_index`` are skipped (as Keras's
    IMDB skips test words never seen in training). 1-D object array of lists."""
    get = word_index.get
    return object_array(
        [[r for w in text_to_word_sequence(t, filters, lower) if (r := get(w)) is not None] for t in texts]
    )
