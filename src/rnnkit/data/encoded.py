"""Raw labelled texts encoded the Keras-IMDB way, for when Keras's ``.npz`` is not at hand.

``encode_like_keras`` turns a ``TextDataset`` of texts into word-id sequences with exactly the
steps of ``keras.datasets.imdb.load_data`` (see ``keras_encoding``): words ranked by frequency
in the *training* texts (or by a given word index, e.g. Keras's own ``imdb_word_index.json``),
``index_from``/``start_char``/``oov_char``, ``num_words``/``skip_top`` and ``maxlen`` filtering,
shuffled with ``seed``. Words are split by the Keras ``Tokenizer`` rules (``text.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

import numpy as np

from .corpus import TextDataset
from .keras_encoding import decode, imdb_pipeline, rank_vocabulary, texts_to_ranks


@dataclass(frozen=True)
class EncodedDataset:
    """Word-id sequences with the settings needed to read them back.

    Unpacks like Keras: ``(x_train, y_train), (x_test, y_test) = encoded``. x are 1-D object arrays
    of lists of ints, y int64 ``(n,)`` arrays.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    word_index: Mapping[str, int]
    class_names: tuple[str, ...]
    start_char: int | None = 1
    oov_char: int | None = 2
    index_from: int = 3

    def __iter__(self) -> Iterator:
        return iter(((self.x_train, self.y_train), (self.x_test, self.y_test)))

    def decode(self, sequence) -> str:
        """One sequence of ids back to words, with ``[START]``/``[OOV]`` marks."""
        return decode(sequence, self.word_index, start_char=self.start_char, oov_char=self.oov_char,
                      index_from=self.index_from)


def encode_like_keras(
    dataset: TextDataset, *, num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
    seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
    word_index: Mapping[str, int] | None = None,
) -> EncodedDataset:
    """Encode a text dataset as ``keras.datasets.imdb.load_data`` encodes IMDB.

    Args:
        dataset: texts and labels (train and test).
        word_index: word → rank (1 = most frequent); ``None`` ranks the training texts' words.
        others: as in ``keras.datasets.imdb.load_data``.
    """
    if word_index is None:
        word_index = rank_vocabulary(dataset.train.texts)
    (x_train, y_train), (x_test, y_test) = imdb_pipeline(
        texts_to_ranks(dataset.train.texts, word_index), dataset.train.labels,
        texts_to_ranks(dataset.test.texts, word_index), dataset.test.labels,
        num_words=num_words, skip_top=skip_top, maxlen=maxlen, seed=seed, start_char=start_char,
        oov_char=oov_char, index_from=index_from,
    )
    return EncodedDataset(x_train, y_train, x_test, y_test, dict(word_index), dataset.class_names,
                          start_char, oov_char, index_from)
