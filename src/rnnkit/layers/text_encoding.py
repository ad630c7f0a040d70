"""Raw text → the ids a model reads, as the first layer of the model: the encodings rnnkit's
recipes train with, saved inside the model file so that it reads raw text by itself.

- ``TokenizerEncoding``: Keras's ``Tokenizer(num_words)`` (fitted with ``adapt``) then
  ``pad_sequences(maxlen)`` — pre-padding and pre-truncating, Keras's defaults; words outside
  the vocabulary are dropped (or become the oov token's id, if the tokenizer has one).
- ``KerasImdbEncoding``: the ids of ``keras.datasets.imdb.load_data`` — word ranks + ``index_from``,
  start mark 1, out-of-vocabulary mark 2, ``num_words``/``skip_top`` — optionally with ids below
  a bound removed (the from-scratch chapter drops the marks) and one-hot vectors instead of ids.

Both are preprocessing layers (``preprocessing = True``): they run on the host before the
engine, have no weights and no backward pass. Their options are the layer's config; the
vocabulary travels as an asset of the ``.keras`` archive (``vocabulary.json``), as Keras keeps
a ``TextVectorization``'s vocabulary. ``count_tokens`` says what the encoding made of each text
(known and unknown words, length before padding), for the flags ``predict`` shows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..data.keras_encoding import texts_to_ranks
from ..data.text import DEFAULT_FILTERS, Tokenizer, text_to_word_sequence, tokenizer_from_json
from ..preprocessing.sequence import pad_sequences
from .base import Layer

VOCABULARY_ASSET = "vocabulary.json"


@dataclass(frozen=True)
class TokenCount:
    """What an encoding made of one text: tokens it knows and does not, and the ids' length.

    ``length`` counts the ids before padding; above ``maxlen`` the text was cut.
    """

    known: int
    unknown: int
    length: int


@dataclass(frozen=True)
class WordPosition:
    """One token of a text and where it went in the encoded row.

    ``status`` is ``"known"`` (a vocabulary id), ``"unknown"`` (outside the vocabulary: dropped,
    or the oov id) or ``"cut"`` (before the last ``maxlen`` ids, cut off); ``position`` is the
    index in the (maxlen,) row, None when the token is not there.
    """

    token: str
    id: int | None
    position: int | None
    status: str


def place(tokens: Sequence[str], ids: Sequence[int | None], known: Sequence[bool], maxlen: int,
          extra_front: int = 0) -> list[WordPosition]:
    """Positions after ``pad_sequences``' pre-truncation and pre-padding. ``ids[i]`` is token i's
    id in the sequence (None: dropped); ``extra_front`` ids (a start mark) precede the tokens."""
    length = extra_front + sum(i is not None for i in ids)
    first_kept = max(0, length - maxlen)          # pre-truncation keeps the last maxlen
    offset = maxlen - min(length, maxlen)         # pre-padding puts zeros first
    out, k = [], extra_front
    for token, i, is_known in zip(tokens, ids, known, strict=True):
        if i is None:
            out.append(WordPosition(token, None, None, "unknown"))
            continue
        if k < first_kept:
            out.append(WordPosition(token, i, None, "cut"))
        else:
            out.append(WordPosition(token, i, offset + k - first_kept,
                                    "known" if is_known else "unknown"))
        k += 1
    return out


def texts_of(x, owner: str) -> list[str]:
    """A batch of raw texts — shape (n,) or (n, 1), str (or UTF-8 bytes) — as a list of str."""
    arr = np.asarray(x, dtype=object) if isinstance(x, (list, tuple)) else np.asarray(x)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"layer {owner!r} reads one text per row, shape (n,) or (n, 1); got "
                         f"shape {arr.shape}")
    texts = [t.decode("utf-8") if isinstance(t, bytes) else t for t in arr.tolist()]
    bad = next((t for t in texts if not isinstance(t, str)), None)
    if texts and bad is not None:
        raise TypeError(f"layer {owner!r} reads strings; got a {type(bad).__name__} ({bad!r})")
    return texts


class TextEncoding(Layer):
    """What the text encodings share: raw strings in, ids out; vocabulary as a JSON asset."""

    preprocessing = True
    kind = "?"     # the run's vocabulary.json ``kind``

    def __init__(self, maxlen: int, **kwargs):
        super().__init__(**kwargs)
        self.maxlen = int(maxlen)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def count_tokens(self, texts: Sequence[str]) -> list[TokenCount]:
        raise NotImplementedError

    def word_positions(self, text: str) -> list[WordPosition]:
        """Each token of ``text``, its id and its place in the encoded row (for explanations)."""
        raise NotImplementedError

    def forward(self, x, training: bool = False, mask=None) -> np.ndarray:
        return self.encode(texts_of(x, self.name))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.maxlen)

    # ---- the vocabulary: an asset of the model file, or a run's vocabulary.json ----------------
    def vocabulary_dict(self) -> dict:
        raise NotImplementedError

    def set_vocabulary_dict(self, data: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def save_assets(self, dir_path) -> None:
        with open(os.path.join(dir_path, VOCABULARY_ASSET), "w", encoding="utf-8") as f:
            json.dump(self.vocabulary_dict(), f, ensure_ascii=False, separators=(",", ":"))

    def load_assets(self, dir_path) -> None:
        with open(os.path.join(dir_path, VOCABULARY_ASSET), encoding="utf-8") as f:
            self.set_vocabulary_dict(json.load(f))

    def to_dict(self) -> dict:
        """The run's ``vocabulary.json``: the options and the vocabulary in one document."""
        options = {k: v for k, v in self.get_config().items()
                   if k not in ("name", "trainable", "dtype")}
        return {"kind": self.kind, **options, **self.vocabulary_dict()}

    def get_config(self) -> dict:
        return {**super().get_config(), "maxlen": self.maxlen}


class TokenizerEncoding(TextEncoding):
    """``Tokenizer(num_words).texts_to_sequences`` then ``pad_sequences(maxlen)``, Keras-exact."""

    kind = "tokenizer"

    def __init__(self, maxlen: int, num_words: int | None = None, filters: str = DEFAULT_FILTERS,
                 lower: bool = True, split: str = " ", char_level: bool = False,
                 oov_token: str | None = None, tokenizer: Tokenizer | None = None, **kwargs):
        super().__init__(maxlen, **kwargs)
        self.tokenizer = tokenizer or Tokenizer(num_words=num_words, filters=filters,
                                                lower=lower, split=split,
                                                char_level=char_level, oov_token=oov_token)

    @classmethod
    def fit(cls, texts: Sequence[str], num_words: int, maxlen: int, **kwargs) -> "TokenizerEncoding":
        layer = cls(maxlen, num_words=num_words, **kwargs)
        layer.adapt(texts)
        return layer

    def adapt(self, texts: Sequence[str]) -> None:
        """Fit the vocabulary on ``texts`` (Keras's ``Tokenizer.fit_on_texts``)."""
        self.tokenizer.fit_on_texts(texts_of(texts, self.name))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, maxlen) int32 ids."""
        return pad_sequences(self.tokenizer.texts_to_sequences(list(texts)), maxlen=self.maxlen)

    def count_tokens(self, texts: Sequence[str]) -> list[TokenCount]:
        """Known tokens become ids; unknown ones are dropped (or the oov id, if the tokenizer
        has an oov_token)."""
        oov = self.tokenizer.word_index.get(self.tokenizer.oov_token)
        out = []
        for text, ids in zip(texts, self.tokenizer.texts_to_sequences(list(texts)), strict=True):
            known = sum(1 for i in ids if i != oov)
            out.append(TokenCount(known, len(self.tokenizer.tokens(text)) - known, len(ids)))
        return out

    def word_positions(self, text: str) -> list[WordPosition]:
        t = self.tokenizer
        oov = t.word_index.get(t.oov_token) if t.oov_token is not None else None
        tokens = list(t.tokens(text))
        known = [(i := t.word_index.get(w)) is not None and (not t.num_words or i < t.num_words)
                 for w in tokens]
        ids = [t.word_index[w] if k else oov for w, k in zip(tokens, known)]
        return place(tokens, ids, known, self.maxlen)

    def vocabulary_dict(self) -> dict:
        """The tokenizer as Keras's JSON, holding only the words that encoding can use
        (``Tokenizer.encoding_only``), each once: ~0.35 MB for 20,000 words where the whole
        fitted tokenizer (every word seen, five dictionaries) took 7 MB. Keras's
        ``tokenizer_from_json`` reads it."""
        return {"tokenizer": json.loads(self.tokenizer.encoding_only().to_json(compact=True))}

    def set_vocabulary_dict(self, data: Mapping[str, Any]) -> None:
        self.tokenizer = tokenizer_from_json(json.dumps(data["tokenizer"]))

    def get_config(self) -> dict:
        t = self.tokenizer
        return {**super().get_config(), "num_words": t.num_words, "filters": t.filters,
                "lower": t.lower, "split": t.split, "char_level": t.char_level,
                "oov_token": t.oov_token}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TokenizerEncoding":
        """From a run's vocabulary.json (this version's, or one from before the options were
        written beside the tokenizer)."""
        return cls(data["maxlen"], tokenizer=tokenizer_from_json(json.dumps(data["tokenizer"])))


class KerasImdbEncoding(TextEncoding):
    """Keras IMDB ids (rank + index_from, start 1, oov 2), padded to ``maxlen``; optional one-hot."""

    kind = "keras_imdb"

    def __init__(self, word_index: Mapping[str, int] | None = None, num_words: int = 10000,
                 maxlen: int = 500, skip_top: int = 0, drop_ids_below: int = 0,
                 onehot: bool = False, start_char: int = 1, oov_char: int = 2,
                 index_from: int = 3, **kwargs):
        super().__init__(maxlen, **kwargs)
        self.num_words, self.skip_top = int(num_words), int(skip_top)
        self.drop_ids_below, self.onehot = int(drop_ids_below), bool(onehot)
        self.start_char, self.oov_char, self.index_from = start_char, oov_char, index_from
        self.set_vocabulary_dict({"word_index": word_index or {}})

    def set_vocabulary_dict(self, data: Mapping[str, Any]) -> None:
        # Only the ranks that can survive num_words are kept: the file stays small and the
        # encoding is unchanged (every other word becomes oov_char either way).
        limit = self.num_words - self.index_from
        self.word_index = {w: r for w, r in data["word_index"].items() if r < limit}

    def vocabulary_dict(self) -> dict:
        return {"word_index": self.word_index}

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

    def word_positions(self, text: str) -> list[WordPosition]:
        (marked,) = self._marked([text])
        tokens = text_to_word_sequence(text)
        ids = [w if w >= self.drop_ids_below else None for w in marked[1:]]
        known = [w != self.oov_char for w in marked[1:]]
        return place(tokens, ids, known, self.maxlen,
                     extra_front=int(marked[0] >= self.drop_ids_below))

    def from_ids(self, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """Already-encoded sequences → the model's input (drop, pad, one-hot)."""
        seqs = [[w for w in s if w >= self.drop_ids_below] for s in seqs]
        x = pad_sequences(seqs, maxlen=self.maxlen)
        return onehot(x, self.num_words) if self.onehot else x

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.from_ids(self.ids(texts))

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        return shape + (self.num_words,) if self.onehot else shape

    def get_config(self) -> dict:
        return {**super().get_config(), "num_words": self.num_words, "skip_top": self.skip_top,
                "drop_ids_below": self.drop_ids_below, "onehot": self.onehot,
                "start_char": self.start_char, "oov_char": self.oov_char,
                "index_from": self.index_from}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "KerasImdbEncoding":
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
