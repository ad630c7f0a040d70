"""Keras 3's TextVectorization: raw strings → token ids (or bag-of-token vectors), in NumPy.

Each text goes through the steps of Keras 3's TextVectorization layer,
which Keras runs with TensorFlow string ops; these are their exact equivalents:

1. standardize: ``"lower"`` is ``tf.strings.lower`` without an encoding, which lowercases ASCII
   letters only ("ÉCOLE" → "École", "İ" and "ẞ" stay); ``"strip_punctuation"`` deletes the 32
   ASCII punctuation characters, the apostrophe included ("it's" → "its"), and nothing else
   ("¿", "«", "—", "…" stay);
2. split: ``"whitespace"`` is ``tf.strings.split``: runs of the six ASCII whitespace characters
   (space, \\t, \\n, \\v, \\f, \\r) separate tokens, and a no-break space or \\u3000 does not;
   ``"character"`` gives code points;
3. ngrams: for each width in order, every run of that many tokens joined by one space (widths 1
   and 2 of "a b c" give "a", "b", "c", "a b", "b c"); a text shorter than a width adds none;
4. lookup (string_lookup.py) and output: ``int`` ids padded with 0 at the end, or cut to the
   first ``output_sequence_length``; ``multi_hot``/``count``/``tf_idf`` vectors.

Saved as Keras saves it: the options in the config, the vocabulary as
``assets/…/vocabulary.txt`` (twice: for the layer and its nested ``_lookup_layer``, as Keras
writes and reads both), idf weights in the weights file. So a .keras file holding this layer
loads in Keras (with TensorFlow installed) and Keras's loads here.
"""

from __future__ import annotations

import codecs
import re
import string

import numpy as np

from .base import Layer, check_positive_int
from .string_lookup import OUTPUT_MODES, StringLookupTable
from .text_encoding import TokenCount, WordPosition

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_NO_PUNCTUATION_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase,
                                      string.punctuation)
STANDARDIZE_TABLES = {"lower": _ASCII_LOWER, "strip_punctuation": _NO_PUNCTUATION,
                      "lower_and_strip_punctuation": _NO_PUNCTUATION_LOWER}
SPLITS = ("whitespace", "character")
_WHITESPACE_TOKEN = re.compile(r"[^ \t\n\v\f\r]+")
# What str.split() splits on besides TensorFlow's six: a text holding none of these splits the
# same with str.split(), which is faster than the regular expression.
PYTHON_ONLY_WHITESPACE = re.compile(
    "[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
# Keras 2's names for two output modes, which Keras 3 still accepts
_OLD_MODE_NAMES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


class TextVectorization(Layer):
    """``TextVectorization(max_tokens=20000, output_sequence_length=200)``, then ``adapt(texts)``.

    A preprocessing layer: it runs on the host before the engine, and only first in a model.
    """

    preprocessing = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, vocabulary_size=None, **kwargs):
        output_mode = _OLD_MODE_NAMES.get(output_mode, output_mode)
        _check_options(max_tokens, standardize, split, ngrams, output_mode,
                       output_sequence_length, pad_to_max_tokens, sparse, ragged, encoding)
        super().__init__(name=name, **kwargs)
        self.max_tokens = max_tokens
        self.standardize = standardize
        self.split = split
        self.ngrams = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self.ngram_widths = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else self.ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.encoding = encoding
        # the size Keras's config records: the output shape before the vocabulary file is read
        self._saved_vocabulary_size = vocabulary_size
        self._lookup_layer = StringLookupTable(output_mode, max_tokens, pad_to_max_tokens,
                                               vocabulary, idf_weights)

    # ---- vocabulary ------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Learn the vocabulary (and tf_idf's idf weights) from texts: a list or array of
        strings, or an iterable of such batches (``steps`` of them at most). ``batch_size`` is
        accepted and unused, as in Keras."""
        if self._lookup_layer.has_input_vocabulary:
            raise ValueError(f"cannot adapt layer {self.name!r}: its vocabulary was given at "
                             f"construction (vocabulary=…); use set_vocabulary() to replace it")
        documents = (tokens for batch in _batches(data, steps)
                     for tokens in self._tokenize(self._texts(batch)))
        n_documents, n_tokens = self._lookup_layer.learn(documents)
        if n_documents == 0:
            raise ValueError(f"layer {self.name!r}: adapt got no texts; pass a list or array of "
                             f"strings")
        if n_tokens == 0:
            raise ValueError(f"layer {self.name!r}: adapt found no tokens in {n_documents} "
                             f"text(s) (empty, or only punctuation)")

    def set_vocabulary(self, vocabulary, idf_weights=None) -> None:
        """Replace the vocabulary: a list (the special tokens "" and "[UNK]" at its head are
        optional) or a text file's path; ``idf_weights`` in tf_idf mode."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)
        self._lookup_layer.remember_input(vocabulary, idf_weights)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The vocabulary's size with its special tokens (the mask and OOV tokens)."""
        return self._lookup_layer.vocabulary_size()

    @property
    def maxlen(self) -> int | None:
        """The ids' length (``output_sequence_length``), as the run's encoders name it."""
        return self.output_sequence_length

    # ---- computing ---------------------------------------------------------------------------------
    def forward(self, x, training: bool = False, mask=None) -> np.ndarray:
        """Texts (shape (n,) or (n, 1)) → int64 ids (n, length), or float32 (n, depth)."""
        if not self._lookup_layer.learned:
            raise ValueError(f"layer {self.name!r} has no vocabulary yet; call adapt(texts) or "
                             f"pass vocabulary=…")
        ids = [self._lookup_layer.ids(tokens) for tokens in self._tokenize(self._texts(x))]
        return self._int_output(ids) if self.output_mode == "int" else self._bag_output(ids)

    kind = "text_vectorization"     # the run-encoding ``kind`` (``rnnkit export``'s JSON)

    def to_dict(self) -> dict:
        """The encoding as plain JSON for programs without rnnkit (``rnnkit export``): int mode
        with a fixed length and named standardize/split steps only."""
        named = all(v is None or isinstance(v, str) for v in (self.standardize, self.split))
        if self.output_mode != "int" or self.output_sequence_length is None or not named:
            raise ValueError(f"layer {self.name!r}: only output_mode='int' with an "
                             f"output_sequence_length and named standardize/split steps can "
                             f"be written as plain JSON for other programs")
        return {"kind": self.kind, "standardize": self.standardize, "split": self.split,
                "ngrams": list(self.ngram_widths or (1,)), "maxlen": self.output_sequence_length,
                "vocabulary": self.get_vocabulary()}

    def encode(self, texts) -> np.ndarray:
        """``forward`` on a list of texts: the text-encoding protocol the classifier reads."""
        return self.forward(np.asarray(list(texts), dtype=object))

    def count_tokens(self, texts) -> list:
        """Per text, a ``TokenCount``: tokens with a vocabulary id (known), tokens mapped to the
        OOV id (unknown), and the tokens' number before padding or truncation (length)."""
        lookup, out = self._lookup_layer, []
        for tokens in self._tokenize(self._texts(texts)):
            ids = lookup.ids(tokens)
            unknown = ids.count(lookup.oov_id)
            out.append(TokenCount(len(ids) - unknown - ids.count(lookup.mask_id), unknown,
                                  len(ids)))
        return out

    def word_positions(self, text: str) -> list[WordPosition]:
        """Each token (ngrams included) with its id and index in the int-mode row, which keeps
        the first ``output_sequence_length`` tokens (Keras pads and cuts at the end)."""
        if self.output_mode != "int":
            raise ValueError(f"layer {self.name!r} makes {self.output_mode} vectors, which have "
                             f"no word positions; per-word views need output_mode='int'")
        lookup, limit = self._lookup_layer, self.output_sequence_length
        (tokens,) = self._tokenize(self._texts([text]))
        out = []
        for i, (token, id_) in enumerate(zip(tokens, lookup.ids(tokens), strict=True)):
            status = "known" if id_ not in (lookup.oov_id, lookup.mask_id) else "unknown"
            if limit is not None and i >= limit:
                out.append(WordPosition(token, id_, None, "cut"))
            else:
                out.append(WordPosition(token, id_, i, status))
        return out

    def compute_output_shape(self, input_shape) -> tuple:
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self._depth())

    def _depth(self) -> int | None:
        if self._lookup_layer.pad_to_max_tokens:
            return self.max_tokens
        if self._lookup_layer.learned:
            return self._lookup_layer.vocabulary_size()
        return self._saved_vocabulary_size

    def _texts(self, x) -> list[str]:
        """A batch of texts as a list of str, or a one-line error."""
        arr = np.asarray(x, dtype=object if isinstance(x, (list, tuple)) else None)
        if arr.dtype.kind not in "USO":
            raise TypeError(f"layer {self.name!r} expects strings (an array of str), got dtype "
                            f"{arr.dtype}; pass the raw texts")
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            hint = "; wrap a single text in a list" if arr.ndim == 0 else ""
            raise ValueError(f"layer {self.name!r} expects a batch of texts of shape (n,) or "
                             f"(n, 1), got shape {arr.shape}{hint}")
        return [self._text(item) for item in arr.tolist()]

    def _text(self, item) -> str:
        if isinstance(item, str):
            return item
        if isinstance(item, bytes):
            try:
                return item.decode(self.encoding)
            except UnicodeDecodeError as e:
                raise ValueError(f"layer {self.name!r}: a text is not valid {self.encoding} "
                                 f"({e.reason} at byte {e.start})") from None
        raise TypeError(f"layer {self.name!r} expects strings, got {type(item).__name__} "
                        f"{item!r}")

    def _tokenize(self, texts: list[str]) -> list[list[str]]:
        """Steps 1–3: standardize, split, ngrams."""
        texts = self._standardized(texts)
        if self.split is None:
            token_lists = [[text] for text in texts]
        elif self.split == "whitespace":
            token_lists = [_WHITESPACE_TOKEN.findall(text) if PYTHON_ONLY_WHITESPACE.search(text)
                           else text.split() for text in texts]
        elif self.split == "character":
            token_lists = [list(text) for text in texts]
        else:
            token_lists = _call_split(self.split, texts)
        if self.ngram_widths is not None:
            token_lists = [_ngrams(tokens, self.ngram_widths) for tokens in token_lists]
        return token_lists

    def _standardized(self, texts: list[str]) -> list[str]:
        if self.standardize is None:
            return texts
        if isinstance(self.standardize, str):
            table = STANDARDIZE_TABLES[self.standardize]
            return [text.translate(table) for text in texts]
        out = np.asarray(self.standardize(np.array(texts, dtype=str))).reshape(-1).tolist()
        if len(out) != len(texts):
            raise ValueError(f"layer {self.name!r}: the standardize function returned "
                             f"{len(out)} texts for {len(texts)}")
        return [str(text) for text in out]

    def _int_output(self, ids: list[list[int]]) -> np.ndarray:
        length = self.output_sequence_length
        if length is None:
            length = max((len(row) for row in ids), default=0)
        out = np.zeros((len(ids), length), dtype=np.int64)
        for i, row in enumerate(ids):
            row = row[:length]
            out[i, :len(row)] = row
        return out

    def _bag_output(self, ids: list[list[int]]) -> np.ndarray:
        depth = self._depth()
        rows = np.repeat(np.arange(len(ids)), [len(row) for row in ids])
        cols = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=len(rows))
        keep = cols >= 0  # "" tokens: no slot outside int mode
        out = np.zeros((len(ids), depth), dtype=np.float32)
        np.add.at(out, (rows[keep], cols[keep]), 1.0)
        if self.output_mode == "multi_hot":
            return np.minimum(out, 1.0)
        if self.output_mode == "tf_idf":
            out *= self._idf(depth)
        return out

    def _idf(self, depth: int) -> np.ndarray:
        idf = self._lookup_layer.idf_weights
        if idf is None or len(idf) != depth:
            raise ValueError(f"layer {self.name!r}: tf_idf needs {depth} idf weights, has "
                             f"{0 if idf is None else len(idf)}")
        return idf

    # ---- files -------------------------------------------------------------------------------------
    def get_config(self) -> dict:
        lookup = self._lookup_layer
        vocabulary, idf_weights = lookup.config_vocabulary()
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": self.standardize, "split": self.split, "ngrams": self.ngrams,
                "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False, "ragged": False,
                "vocabulary": vocabulary, "idf_weights": idf_weights, "encoding": self.encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        # Keras writes a registered function as a dict; rnnkit has no registry to find it in
        functions = [key for key in ("standardize", "split") if isinstance(config.get(key), dict)]
        if functions:
            key = functions[0]
            raise ValueError(f"TextVectorization {config.get('name')!r}: {key} is a Keras "
                             f"function ({config[key].get('config', '?')}); rnnkit loads only "
                             f"the built-in {key} options")
        return cls(**config)

    def save_assets(self, dir_path: str) -> None:
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        self._lookup_layer.load_assets(dir_path)

    def save_own_variables(self, store: dict) -> None:
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store) -> None:
        self._lookup_layer.load_own_variables(store)


def _check_options(max_tokens, standardize, split, ngrams, output_mode, output_sequence_length,
                   pad_to_max_tokens, sparse, ragged, encoding) -> None:
    """Keras's argument checks, each a one-line ValueError."""
    where = "TextVectorization"
    if max_tokens is not None and (check_positive_int("max_tokens", max_tokens) <= 1):
        raise ValueError(f"{where}: max_tokens must be greater than 1, got {max_tokens}")
    if pad_to_max_tokens and max_tokens is None:
        raise ValueError(f"{where}: pad_to_max_tokens=True needs max_tokens")
    if not (standardize is None or callable(standardize) or standardize in STANDARDIZE_TABLES):
        raise ValueError(f"{where}: standardize must be None, a callable or one of "
                         f"{', '.join(STANDARDIZE_TABLES)}; got {standardize!r}")
    if not (split is None or callable(split) or split in SPLITS):
        raise ValueError(f"{where}: split must be None, a callable or one of "
                         f"{', '.join(SPLITS)}; got {split!r}")
    if not _valid_ngrams(ngrams):
        raise ValueError(f"{where}: ngrams must be None, a positive integer or a tuple of "
                         f"them; got {ngrams!r}")
    if output_mode not in OUTPUT_MODES:
        raise ValueError(f"{where}: output_mode must be one of {', '.join(OUTPUT_MODES)}; got "
                         f"{output_mode!r}")
    if output_sequence_length is not None:
        if output_mode != "int":
            raise ValueError(f"{where}: output_sequence_length is only valid with "
                             f"output_mode='int', got output_mode={output_mode!r}")
        check_positive_int("output_sequence_length", output_sequence_length)
    for key, value in (("sparse", sparse), ("ragged", ragged)):
        if value:
            raise ValueError(f"{where}: {key}=True is not supported by rnnkit (Keras has it on "
                             f"TensorFlow only); outputs are dense arrays")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(f"{where}: unknown text encoding {encoding!r}") from None


def _valid_ngrams(ngrams) -> bool:
    def positive(n):
        return isinstance(n, int) and not isinstance(n, bool) and n >= 1

    if ngrams is None or positive(ngrams):
        return True
    return isinstance(ngrams, (tuple, list)) and len(ngrams) > 0 and all(map(positive, ngrams))


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """``tf.strings.ngrams(tokens, widths, separator=" ")``: width by width, in order."""
    out = []
    for width in widths:
        if width == 1:
            out += tokens
        else:
            out += [" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1)]
    return out


def _call_split(split, texts: list[str]) -> list[list[str]]:
    """A user's split function: a NumPy array of n strings in, n token sequences out."""
    out = [[str(t) for t in tokens] for tokens in split(np.array(texts, dtype=str))]
    if len(out) != len(texts):
        raise ValueError(f"the split function returned {len(out)} token lists for "
                         f"{len(texts)} texts")
    return out


def _batches(data, steps):
    """Keras's adapt inputs: a list/tuple/array is one batch; other iterables yield batches."""
    if isinstance(data, (str, bytes)):
        raise TypeError("adapt expects a list or array of texts, got a single string; wrap it "
                        "in a list")
    if isinstance(data, (list, tuple, np.ndarray)):
        if len(data) > 0:
            yield data
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        yield batch
