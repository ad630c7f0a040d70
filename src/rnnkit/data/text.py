"""Keras's legacy text ``Tokenizer``, reproduced output for output.

The semantics are those of ``keras.preprocessing.text`` (Keras 2, kept alive in the
``keras-preprocessing`` package), which the test suite uses as the oracle:

- a text becomes tokens by lower-casing, replacing every ``filters`` character with ``split`` and
  splitting on ``split`` (empty pieces dropped); with ``char_level`` every character is a token and
  ``filters`` is not applied; a list of strings is taken as already-tokenized;
- ``word_index`` ranks words by count, ties in order of first appearance, starting at 1 (0 is
  padding); ``oov_token``, when given, takes index 1;
- ``texts_to_sequences`` keeps only indices ``< num_words`` (so ``num_words - 1`` words); others map
  to the oov index if there is one, else are dropped.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Iterable, Iterator, Sequence, Union

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'

TextLike = Union[str, Sequence[str]]


@lru_cache(maxsize=32)
def _translation(filters: str, split: str) -> dict[int, str]:
    # Built once per (filters, split): rebuilding it per text would dominate tokenizing short texts.
    return str.maketrans({c: split for c in filters})


def text_to_word_sequence(
    text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " "
) -> list[str]:
    """Split one text into word tokens, as Keras does (see the module docstring)."""
    if lower:
        text = text.lower()
    text = text.translate(_translation(filters, split))
    return list(filter(None, text.split(split)))      # empty pieces dropped


def _as_counter(d: dict) -> Counter:
    return d if isinstance(d, Counter) else Counter(d)


class Tokenizer:
    """Vocabulary built from texts and the mapping texts ↔ integer sequences (Keras-exact).

    Args:
        num_words: keep only word indices ``< num_words`` when converting; ``None`` keeps all.
        filters: characters replaced by ``split`` before splitting.
        lower: lower-case texts first.
        split: the separator words are split on.
        char_level: every character is a token.
        oov_token: a token that takes index 1 and stands for every unknown or cut word.
        document_count: number of documents already seen (restored by ``tokenizer_from_json``).
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        document_count: int = 0,
        **kwargs,
    ) -> None:
        if "nb_words" in kwargs:  # Keras 1 spelling, still accepted by Keras 2
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Tokenizer got unexpected keyword arguments {sorted(kwargs)}")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.document_count = document_count
        self.word_counts: dict[str, int] = Counter()
        self.word_docs: dict[str, int] = Counter()
        self.index_docs: dict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    # -- tokens ---------------------------------------------------------------------------------

    def tokens(self, text: TextLike) -> Sequence[str]:
        """The tokens ``text`` splits into (before any vocabulary lookup)."""
        return self._tokens(text)

    def _tokens(self, text: TextLike) -> Sequence[str]:
        if self.char_level or isinstance(text, list):
            if self.lower:
                return [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    # -- fitting --------------------------------------------------------------------------------

    def fit_on_texts(self, texts: Iterable[TextLike]) -> None:
        """Count words over ``texts`` (strings, or lists of tokens) and rebuild ``word_index``."""
        # Counters make counting a C loop; convert vocabularies a caller assigned as plain dicts.
        counts = self.word_counts = _as_counter(self.word_counts)
        docs = self.word_docs = _as_counter(self.word_docs)
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            counts.update(tokens)
            # dict.fromkeys rather than set(): the same counts, but a key order that does not
            # depend on string hashing, so to_json is reproducible from run to run.
            docs.update(dict.fromkeys(tokens).keys())
        self._rebuild_index()

    def _rebuild_index(self) -> None:
        # sorted() is stable, so equal counts keep first-appearance order, as in Keras.
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)
        vocab = ([] if self.oov_token is None else [self.oov_token]) + [w for w, _ in ranked]
        # dict() keeps the last index for a repeated key, so an oov_token that also occurs in the
        # texts ends up at its frequency rank -- the same quirk as Keras.
        self.word_index = dict(zip(vocab, range(1, len(vocab) + 1)))
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in self.word_docs.items():
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences: Sequence[Sequence[int]]) -> None:
        """Count, per index, the documents it occurs in (needed by tfidf if never fit on texts)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    # -- texts <-> sequences --------------------------------------------------------------------

    def texts_to_sequences(self, texts: Iterable[TextLike]) -> list[list[int]]:
        """One list of word indices per text (unknown words dropped, or oov if an oov_token is set)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[TextLike]) -> Iterator[list[int]]:
        """Like ``texts_to_sequences``, one text at a time."""
        oov = self._oov_index()
        limit = self.num_words or None  # Keras treats num_words=0 like None
        # The hot loop looks words up at C speed (map over dict.get) in a vocabulary cut to the
        # indices kept (< num_words) once per call: a word outside it is unknown or cut, and
        # both are dropped, or become the oov index if there is one, as in Keras.
        kept = self.word_index if limit is None else \
            {w: i for w, i in self.word_index.items() if i < limit}
        get = kept.get
        for text in texts:
            ids = list(map(get, self._tokens(text)))
            if None in ids:
                ids = [i for i in ids if i is not None] if oov is None else \
                    [oov if i is None else i for i in ids]
            yield ids

    def _oov_index(self) -> int | None:
        if self.oov_token is None:
            return None
        if self.oov_token not in self.word_index:
            # Keras would emit None entries here; an unfitted vocabulary is a usage error instead.
            raise ValueError("the Tokenizer has no vocabulary yet: call fit_on_texts before converting")
        return self.word_index[self.oov_token]

    def sequences_to_texts(self, sequences: Iterable[Sequence[int]]) -> list[str]:
        """Inverse of ``texts_to_sequences``: words joined by spaces."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Sequence[int]]) -> Iterator[str]:
        """Like ``sequences_to_texts``, one sequence at a time."""
        limit = self.num_words or None
        oov = self._oov_index()
        for seq in sequences:
            words = []
            for i in seq:
                w = self.index_word.get(i)
                if w is not None and (limit is None or i < limit):
                    words.append(w)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    # -- bag-of-words matrices ------------------------------------------------------------------

    def texts_to_matrix(self, texts: Sequence[TextLike], mode: str = "binary") -> np.ndarray:
        """``(len(texts), num_words)`` float64 matrix; mode 'binary', 'count', 'tfidf' or 'freq'."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Sequence[Sequence[int]], mode: str = "binary") -> np.ndarray:
        """``(len(sequences), num_words)`` float64 matrix; mode 'binary', 'count', 'tfidf' or 'freq'."""
        if mode not in ("binary", "count", "tfidf", "freq"):
            raise ValueError(f"mode must be 'binary', 'count', 'tfidf' or 'freq', got {mode!r}")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("sequences_to_matrix needs a width: pass num_words= or fit on texts first")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("tfidf mode needs document counts: fit the Tokenizer on texts first")
        x = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            counts = Counter(j for j in seq if j < width)
            for j, c in counts.items():
                if mode == "count":
                    x[row, j] = c
                elif mode == "freq":
                    x[row, j] = c / len(seq)  # over the whole sequence, as Keras does
                elif mode == "binary":
                    x[row, j] = 1
                else:  # tf-idf weighting scheme 2 (log-scaled tf, smoothed idf), as Keras
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[row, j] = (1 + np.log(c)) * idf
        return x

    # -- serialisation --------------------------------------------------------------------------

    def encoding_only(self) -> "Tokenizer":
        """A copy that converts texts (``texts_to_sequences``, ``sequences_to_texts``, binary,
        count and freq matrices) exactly as this one does, holding only what that needs: the
        words whose index can survive ``num_words`` (every word without it) and the oov token.
        No counts, so it cannot be refitted incrementally and its tfidf has no document counts.

        Any other word is dropped (or becomes oov) here as it was there, since its index is
        ``>= num_words``. This is what a run saves: ``num_words − 1`` words, not every word seen.
        """
        limit = self.num_words or None
        copy = Tokenizer(num_words=self.num_words, filters=self.filters, lower=self.lower,
                         split=self.split, char_level=self.char_level, oov_token=self.oov_token,
                         document_count=self.document_count)
        copy.word_index = {w: i for w, i in self.word_index.items()
                           if limit is None or i < limit or w == self.oov_token}
        copy.index_word = {i: w for w, i in copy.word_index.items()}
        return copy

    def get_config(self, compact: bool = False) -> dict:
        """Settings and vocabulary; the dictionaries are JSON strings, as Keras writes them.

        ``compact`` leaves ``index_word`` out (it is ``word_index`` inverted, and
        ``tokenizer_from_json`` rebuilds it), writes non-ASCII words as themselves and drops the
        spaces after separators: each word is written once. Keras reads the result too.
        """
        dump = (lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":"))) if compact \
            else json.dumps
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": dump(self.word_counts),
            "word_docs": dump(self.word_docs),
            "index_docs": dump(self.index_docs),
            "index_word": dump({} if compact else self.index_word),
            "word_index": dump(self.word_index),
        }

    def to_json(self, compact: bool = False, **kwargs) -> str:
        """JSON readable by ``tokenizer_from_json`` here and in Keras; kwargs go to ``json.dumps``
        (``compact``: see ``get_config``)."""
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config(compact)},
                          **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuild a Tokenizer from ``Tokenizer.to_json()`` output (rnnkit's or Keras's)."""
    data = json.loads(json_string)
    if not isinstance(data, dict) or data.get("class_name") != "Tokenizer" or "config" not in data:
        raise ValueError("not a Tokenizer JSON: expected {'class_name': 'Tokenizer', 'config': {...}}")
    config = dict(data["config"])
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    # JSON turned the integer keys into strings; turn them back.
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = Counter(word_counts)
    tokenizer.word_docs = Counter(word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    if word_index and not index_word:  # written with compact=True: word_index inverted
        index_word = {i: w for w, i in word_index.items()}
    tokenizer.index_word = index_word
    return tokenizer
