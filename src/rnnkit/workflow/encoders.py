"""Text → model input, fitted on the training texts and saved in the run as JSON.

A run must turn a new raw text into exactly the ids the model was trained on, so the encoder is
part of the run (``vocabulary.json``), next to the model:

- ``TokenizerEncoder``: Keras's ``Tokenizer(num_words)`` fitted on the training texts, then
  ``pad_sequences(maxlen)`` (pre-padding and pre-truncating, Keras's defaults).
- ``KerasImdbEncoder``: the ids of ``keras.datasets.imdb.load_data`` — word ranks (Keras's
  published ``imdb_word_index.json`` or the training texts' own), ``index_from=3``, start mark 1,
  out-of-vocabulary mark 2, ``num_words``/``skip_top`` — optionally with ids below a bound
  removed (the from-scratch chapter drops the marks) and one-hot vectors instead of ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..data.keras_encoding import texts_to_ranks
from ..data.text import Tokenizer, tokenizer_from_json
from ..preprocessing.sequence import pad_sequences


class EncoderError(ValueError):
    """The vocabulary file is missing or unreadable, or a text cannot be encoded."""


@dataclass(frozen=True)
class TokenCount:
    """What an encoder made of one text: tokens it knows and does not, and the ids' length.

    ``length`` counts the ids before padding; above ``maxlen`` the text was cut (Keras's
    ``pad_sequences`` keeps the last ``maxlen``).
    """

    known: int
    unknown: int
    length: int


class TokenizerEncoder:
    """``Tokenizer(num_words).texts_to_sequences`` then ``pad_sequences(maxlen)``."""

    kind = "tokenizer"

    def __init__(self, tokenizer: Tokenizer, maxlen: int):
        self.tokenizer, self.maxlen = tokenizer, int(maxlen)

    @classmethod
    def fit(cls, texts: Sequence[str], num_words: int, maxlen: int) -> "TokenizerEncoder":
        tokenizer = Tokenizer(num_words=num_words)
        tokenizer.fit_on_texts(texts)
        return cls(tokenizer, maxlen)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, maxlen) int32 ids."""
        return pad_sequences(self.tokenizer.texts_to_sequences(texts), maxlen=self.maxlen)

    def count_tokens(self, texts: Sequence[str]) -> list[TokenCount]:
        """Known tokens become ids; unknown ones are dropped (or the oov id, if the tokenizer
        has an oov_token)."""
        oov = self.tokenizer.word_index.get(self.tokenizer.oov_token)
        out = []
        for text, ids in zip(texts, self.tokenizer.texts_to_sequences(texts), strict=True):
            known = sum(1 for i in ids if i != oov)
            out.append(TokenCount(known, len(self.tokenizer.tokens(text)) - known, len(ids)))
        return out

    def to_dict(self) -> dict:
        """The maxlen and the tokenizer as Keras's JSON, holding only the words that encoding
        can use (``Tokenizer.encoding_only``), each once: ~0.35 MB for 20,000 words where the
        whole fitted tokenizer (every word seen, five dictionaries) took 7 MB. Keras's
        ``tokenizer_from_json`` reads it, and so does ``from_dict`` (older files too)."""
        return {"kind": self.kind, "maxlen": self.maxlen,
                "tokenizer": json.loads(self.tokenizer.encoding_only().to_json(compact=True))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TokenizerEncoder":
        """From ``to_dict``'s output, or from a run saved before it trimmed the vocabulary."""
        return cls(tokenizer_from_json(json.dumps(data["tokenizer"])), data["maxlen"])


class KerasImdbEncoder:
    """Keras IMDB ids (rank + index_from, start 1, oov 2), padded to ``maxlen``; optional one-hot."""

    kind = "keras_imdb"

    def __init__(self, word_index: Mapping[str, int], num_words: int, maxlen: int,
                 skip_top: int = 0, drop_ids_below: int = 0, onehot: bool = False,
                 start_char: int = 1, oov_char: int = 2, index_from: int = 3):
        # Only the ranks that can survive num_words are kept: the file stays small and the
        # encoding is unchanged (every other word becomes oov_char either way).
        limit = num_words - index_from
        self.word_index = {w: r for w, r in word_index.items() if r < limit}
        self.num_words, self.maxlen, self.skip_top = int(num_words), int(maxlen), int(skip_top)
        self.drop_ids_below, self.onehot = int(drop_ids_below), bool(onehot)
        self.start_char, self.oov_char, self.index_from = start_char, oov_char, index_from

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Keras's ids per text: start mark, then rank + index_from, oov outside the vocabulary.

        Every word outside the kept vocabulary becomes oov_char (see ``_AllRanks``).
        """
        return [[w for w in seq if w >= self.drop_ids_below] for seq in self._marked(texts)]

    def _marked(self, texts: Sequence[str]) -> list[list[int]]:
        """The ids with the start and oov marks, before ``drop_ids_below`` removes any."""
        out = []
        for ranks in texts_to_ranks(texts, _AllRanks(self.word_index)):
            seq = [self.start_char] + [r + self.index_from if r > 0 else self.oov_char
                                       for r in ranks]
            out.append([w if self.skip_top <= w < self.num_words else self.oov_char
                        for w in seq])
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[TokenCount]:
        """Words outside the vocabulary (or under ``skip_top``) are the oov mark, i.e. unknown."""
        out = []
        for seq in self._marked(texts):
            unknown = seq[1:].count(self.oov_char)
            kept = sum(1 for w in seq if w >= self.drop_ids_below)
            out.append(TokenCount(len(seq) - 1 - unknown, unknown, kept))
        return out

    def from_ids(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """Already-encoded sequences → the model's input (drop, pad, one-hot)."""
        seqs = [[w for w in s if w >= self.drop_ids_below] for s in seqs]
        x = pad_sequences(seqs, maxlen=self.maxlen)
        return onehot(x, self.num_words) if self.onehot else x

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.from_ids(self.ids(texts))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "num_words": self.num_words, "maxlen": self.maxlen,
                "skip_top": self.skip_top, "drop_ids_below": self.drop_ids_below,
                "onehot": self.onehot, "start_char": self.start_char,
                "oov_char": self.oov_char, "index_from": self.index_from,
                "word_index": self.word_index}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "KerasImdbEncoder":
        options = {k: v for k, v in data.items() if k not in ("kind", "word_index")}
        return cls(data["word_index"], **options)


class _AllRanks(dict):
    """A word index that ranks unknown words 0, so ``texts_to_ranks`` keeps their place.

    The kept index holds only ranks below num_words, so a rare word is unknown here and becomes
    oov_char, as in Keras; a word Keras's index never saw becomes oov_char too (Keras's own file
    has no such words), the same in training and in prediction.
    """

    def get(self, key, default=None):  # noqa: D401 - dict protocol
        return super().get(key, 0)


def onehot(x: np.ndarray, depth: int) -> np.ndarray:
    """(n, T) ids → (n, T, depth) float32 one-hot; padding id 0 is a zero vector."""
    out = np.zeros(x.shape + (depth,), dtype=np.float32)
    n, t = np.indices(x.shape)
    keep = x > 0
    out[n[keep], t[keep], x[keep]] = 1.0
    return out


ENCODERS = {TokenizerEncoder.kind: TokenizerEncoder, KerasImdbEncoder.kind: KerasImdbEncoder}


def from_dict(data: Mapping[str, Any]):
    kind = data.get("kind")
    if kind not in ENCODERS:
        raise EncoderError(f"vocabulary kind {kind!r} is unknown (expected one of "
                           f"{', '.join(ENCODERS)}); retrain the run with this rnnkit version")
    return ENCODERS[kind].from_dict(data)
