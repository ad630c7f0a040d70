"""The vocabulary inside a TextVectorization: Keras 3's StringLookup as that layer configures it.

Keras's TextVectorization keeps its vocabulary in a nested ``StringLookup`` (``_lookup_layer``)
with the mask token ``""`` and one OOV token ``"[UNK]"``. ``StringLookupTable`` is that object
without the rest of StringLookup (no inversion, no hashed OOV buckets), and it keeps Keras's
rules (those of Keras 3's ``IndexLookup``, StringLookup's base):

* ids: in ``int`` mode 0 is the mask (padding, and the token ``""``), 1 the OOV token and the
  vocabulary starts at 2; in ``multi_hot``/``count``/``tf_idf`` there is no mask, 0 is the OOV
  token, the vocabulary starts at 1 and ``""`` tokens are dropped;
* ``adapt`` order: by count, ties by the token itself, both descending (``np.lexsort`` reversed
  on UTF-8 bytes, which orders like Python's code-point comparison); ``max_tokens`` counts the
  special tokens; ``""`` and ``"[UNK]"`` are never learned;
* tf_idf: idf = log(1 + documents / (1 + documents holding the token)) in float64, stored as
  float32; the OOV slot gets the mean of the others; ``pad_to_max_tokens`` pads with zeros;
* files as Keras writes them: ``vocabulary.txt`` (the vocabulary with its special tokens, one a
  line, joined by ``\\n``) as an asset unless the vocabulary was given at construction (then it
  is in the config), and the idf weights as the variable ``idf_weights`` in the weights file.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat

import numpy as np

from ..naming import unique_name

MASK_TOKEN = ""
OOV_TOKEN = "[UNK]"
VOCABULARY_FILE = "vocabulary.txt"
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")

# str.splitlines's line boundaries, which Keras's reader splits vocabulary.txt on: a token holding
# one cannot be written as one line (saved in the config instead, see TextVectorization).
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class StringLookupTable:
    """Tokens ↔ ids, learned (``learn``) or given (``set_vocabulary``), and their files."""

    def __init__(self, output_mode="int", max_tokens=None, pad_to_max_tokens=False,
                 vocabulary=None, idf_weights=None):
        self.output_mode = output_mode
        self.max_tokens = max_tokens
        self.pad_to_max_tokens = pad_to_max_tokens
        self.name = unique_name("string_lookup")  # the name Keras writes on its weights group
        # what was given at construction goes back into the config, as Keras does
        self.input_vocabulary = _as_list(vocabulary) if not _is_path(vocabulary) else None
        self.input_idf_weights = _as_list(idf_weights)
        self.has_input_vocabulary = vocabulary is not None
        self.tokens: list[str] = []
        self.index: dict[str, int] = {}
        self.idf_weights: np.ndarray | None = None
        self.learned = False  # a vocabulary was set or learned (it may hold no tokens)
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"idf_weights should only be set if output_mode is 'tf_idf', got "
                             f"output_mode={output_mode!r}")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError("a vocabulary given in output_mode 'tf_idf' needs its idf_weights "
                             "too (as Keras requires)")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ---- ids -------------------------------------------------------------------------------------
    @property
    def special_tokens(self) -> list[str]:
        return [MASK_TOKEN, OOV_TOKEN] if self.output_mode == "int" else [OOV_TOKEN]

    @property
    def token_start(self) -> int:
        return len(self.special_tokens)

    @property
    def oov_id(self) -> int:
        return self.token_start - 1

    def vocabulary_size(self) -> int:
        return self.token_start + len(self.tokens)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        return (self.special_tokens if include_special_tokens else []) + list(self.tokens)

    @property
    def mask_id(self) -> int:
        """The id of ``""``: the mask (0) in int mode, -1 (no slot: dropped) otherwise."""
        return 0 if self.output_mode == "int" else -1

    def ids(self, tokens: Sequence[str]) -> list[int]:
        return list(map(self.index.get, tokens, repeat(self.oov_id, len(tokens))))

    @property
    def depth(self) -> int:
        """The length of a multi_hot/count/tf_idf vector."""
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ---- setting the vocabulary ------------------------------------------------------------------
    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Keras's ``set_vocabulary``: a list (special tokens at its head are optional) or the
        path of a text file with one token a line (no special tokens)."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("idf_weights must be set if output_mode is 'tf_idf'")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"idf_weights should only be set if output_mode is 'tf_idf', got "
                             f"output_mode={self.output_mode!r}")
        if _is_path(vocabulary):
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode 'tf_idf' does not support loading a vocabulary "
                                 "from a file (as in Keras); pass a list and idf_weights")
            vocabulary, found_special = read_vocabulary_file(vocabulary), False
        else:
            vocabulary = _strings(vocabulary)
            if not vocabulary:
                raise ValueError("cannot set an empty vocabulary")
            found_special = vocabulary[:self.token_start] == self.special_tokens
        tokens = vocabulary[self.token_start:] if found_special else vocabulary
        self._check_tokens(tokens)
        idf = None if idf_weights is None else self._full_idf(idf_weights, len(vocabulary),
                                                              found_special)
        self._set(tokens, idf)

    def _check_tokens(self, tokens: list[str]) -> None:
        repeated = [t for t, n in Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"the vocabulary repeats {len(repeated)} term(s), e.g. "
                             f"{repeated[0]!r}; each term must appear once")
        if MASK_TOKEN in tokens:
            raise ValueError(f"the vocabulary holds the mask token '' at position "
                             f"{tokens.index(MASK_TOKEN)}; leave the special tokens out, or "
                             f"put exactly {self.special_tokens} first")
        size = self.token_start + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"the vocabulary has {size} entries with its special tokens, more "
                             f"than max_tokens={self.max_tokens}")

    def _full_idf(self, idf_weights, n_vocabulary: int, found_special: bool) -> np.ndarray:
        """Keras's padding: the OOV slot gets the mean weight unless given, and zeros follow
        up to max_tokens with pad_to_max_tokens."""
        idf = np.asarray(idf_weights, dtype=np.float64)
        if idf.ndim != 1 or len(idf) != n_vocabulary:
            raise ValueError(f"idf_weights must be a 1-D list as long as the vocabulary "
                             f"({n_vocabulary}), got shape {idf.shape}")
        front = 0 if found_special else self.token_start
        back = self.max_tokens - front - len(idf) if self.pad_to_max_tokens else 0
        return np.pad(idf, (front, back), constant_values=(np.average(idf), 0)).astype(np.float32)

    def _set(self, tokens: list[str], idf: np.ndarray | None) -> None:
        self.tokens = list(tokens)
        # token → id, "" (never a vocabulary term) included, so a lookup is one dict.get
        self.index = {t: i for i, t in enumerate(self.tokens, start=self.token_start)}
        self.index[MASK_TOKEN] = self.mask_id
        if idf is not None:
            self.idf_weights = idf
        self.learned = True

    def remember_input(self, vocabulary, idf_weights) -> None:
        """After ``set_vocabulary`` on a layer built with a vocabulary: the config holds the new
        one (Keras keeps the old one there and so saves a vocabulary the layer no longer has)."""
        if self.input_vocabulary is not None:
            self.input_vocabulary = None if _is_path(vocabulary) else _as_list(vocabulary)
            self.input_idf_weights = _as_list(idf_weights)

    def config_vocabulary(self) -> tuple[list | None, list | None]:
        """(vocabulary, idf_weights) for the config: as given at construction, or else None —
        the vocabulary then travels as an asset — unless a token cannot be one line of
        vocabulary.txt; then the whole vocabulary goes in the config, where Keras reads it too."""
        if self.input_vocabulary is not None:
            return self.input_vocabulary, self.input_idf_weights
        if not self.learned or self.writable_as_lines:
            return None, None
        idf = self.idf_weights
        idf = None if idf is None else idf[:self.vocabulary_size()].tolist()
        return self.get_vocabulary(), idf

    # ---- learning (adapt) --------------------------------------------------------------------------
    def learn(self, documents: Iterable[Sequence[str]]) -> tuple[int, int]:
        """Keras's adapt over token lists, one per document: (documents, distinct tokens seen).
        With no token seen the vocabulary is left as it was."""
        counts, document_counts, n_documents = Counter(), Counter(), 0
        tf_idf = self.output_mode == "tf_idf"
        for tokens in documents:
            counts.update(tokens)
            if tf_idf:
                document_counts.update(set(tokens))
            n_documents += 1
        for special in (MASK_TOKEN, OOV_TOKEN):
            counts.pop(special, None)
        if not counts:
            return n_documents, 0
        n_seen = len(counts)
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self.token_start]
        idf = self._learned_idf(tokens, document_counts, n_documents) if tf_idf else None
        self._set(tokens, idf)
        return n_documents, n_seen

    def _learned_idf(self, tokens, document_counts, n_documents) -> np.ndarray:
        idf = np.array([math.log(1 + n_documents / (1 + document_counts[t])) for t in tokens])
        idf = idf.astype(np.float32)
        back = self.max_tokens - len(idf) - self.token_start if self.pad_to_max_tokens else 0
        return np.concatenate([[np.mean(idf, dtype=np.float64)], idf,
                               np.zeros(back)]).astype(np.float32)

    # ---- files (Keras's save_assets / save_own_variables) -----------------------------------------
    @property
    def writable_as_lines(self) -> bool:
        """Whether vocabulary.txt can hold every token (Keras's reader splits on more than
        ``\\n``; a token holding such a character would come back split in two)."""
        return not any(_LINE_BREAKS.intersection(t) for t in self.tokens)

    def save_assets(self, dir_path: str) -> None:
        if self.config_vocabulary()[0] is not None:
            return  # the vocabulary is in the config
        with open(os.path.join(dir_path, VOCABULARY_FILE), "w", encoding="utf-8",
                  newline="\n") as f:
            f.write("\n".join(self.get_vocabulary()))

    def load_assets(self, dir_path: str) -> None:
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, VOCABULARY_FILE), encoding="utf-8") as f:
            lines = f.read().splitlines()  # Keras's reader, line breaks and all
        while lines and lines[-1] == "":
            lines.pop()
        idf = None
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("the weights file holds no idf_weights for this tf_idf layer")
            # Keras saves idf padded to max_tokens but cannot read it back; rnnkit can
            idf = self.idf_weights[:len(lines)] if self.pad_to_max_tokens else self.idf_weights
        self.set_vocabulary(lines, idf)

    def save_own_variables(self, store: dict) -> None:
        if self.output_mode == "tf_idf":
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store) -> None:
        if self.output_mode != "tf_idf":
            return
        if "idf_weights" not in store:
            raise ValueError("the weights file holds no idf_weights for this tf_idf layer")
        self.idf_weights = np.asarray(store["idf_weights"], dtype=np.float32)


def read_vocabulary_file(path) -> list[str]:
    """A user's vocabulary file as TensorFlow's TextFileInitializer reads it: one token a line
    (``\\r\\n`` endings accepted), no empty lines."""
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line.removesuffix("\r") for line in lines]
    if "" in lines:
        raise ValueError(f"vocabulary file {os.fspath(path)} has an empty line "
                         f"(line {lines.index('') + 1}); remove it")
    return lines


def _is_path(vocabulary) -> bool:
    return isinstance(vocabulary, (str, os.PathLike))


def _as_list(values):
    """A given vocabulary or weights as a plain list, as Keras's config holds it."""
    if values is None:
        return None
    return np.asarray(values).tolist() if isinstance(values, np.ndarray) else list(values)


def _strings(vocabulary) -> list[str]:
    out = []
    for token in _as_list(vocabulary):
        if isinstance(token, bytes):
            token = token.decode("utf-8")
        if not isinstance(token, str):
            raise TypeError(f"vocabulary terms must be strings, got {token!r}")
        out.append(token)
    return out
