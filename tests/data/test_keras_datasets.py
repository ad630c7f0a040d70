"""imdb/reuters loaders on small .npz fixtures in Keras's format, with Keras's own loaders as the oracle."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from rnnkit.data import CorruptArchiveError, DataFormatError, HashMismatchError
from rnnkit.datasets import imdb, reuters

keras = pytest.importorskip("keras", reason="the oracle is Keras 3")
import keras.src.datasets.imdb as keras_imdb  # noqa: E402
import keras.src.datasets.reuters as keras_reuters  # noqa: E402

VOCAB = 40


def _ragged(rng, n, max_len=14):
    """Word ranks with a Zipf-like skew (rank 1 most frequent), as Keras stores them."""
    seqs = np.empty(n, dtype=object)
    for i in range(n):
        length = int(rng.integers(1, max_len + 1))
        seqs[i] = [int(r) for r in np.minimum(rng.zipf(1.5, size=length), VOCAB)]
    return seqs


def _sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def imdb_fixture(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("keras") / "imdb_small.npz"
    np.savez(path, x_train=_ragged(rng, 30), y_train=rng.integers(0, 2, 30),
             x_test=_ragged(rng, 20), y_test=rng.integers(0, 2, 20))
    return path


@pytest.fixture(scope="module")
def reuters_fixture(tmp_path_factory):
    rng = np.random.default_rng(1)
    path = tmp_path_factory.mktemp("keras") / "reuters_small.npz"
    np.savez(path, x=_ragged(rng, 45), y=rng.integers(0, 5, 45))
    return path


def _same(ours, theirs):
    (a_xtr, a_ytr), (a_xte, a_yte) = ours
    (b_xtr, b_ytr), (b_xte, b_yte) = theirs
    for a, b in ((a_xtr, b_xtr), (a_xte, b_xte)):
        assert a.dtype == object and a.shape == b.shape
        assert [list(s) for s in a] == [list(s) for s in b]
    for a, b in ((a_ytr, b_ytr), (a_yte, b_yte)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


KERAS_ARGS = [
    {},
    {"num_words": 10},
    {"num_words": 10, "skip_top": 4},
    {"skip_top": 2},  # hides start_char=1 too: Keras compares shifted ids
    {"maxlen": 8},
    {"maxlen": 8, "num_words": 20, "skip_top": 3},
    {"seed": 7},
    {"start_char": None},
    {"oov_char": None, "num_words": 12},
    {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 9},
    {"index_from": 5, "start_char": 3, "oov_char": 4},
    {"index_from": 0},
]


@pytest.mark.oracle
@pytest.mark.parametrize("kwargs", KERAS_ARGS, ids=lambda k: json.dumps(k))
def test_imdb_load_data_gives_keras_arrays(imdb_fixture, monkeypatch, kwargs):
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: str(imdb_fixture))
    theirs = keras_imdb.load_data(**kwargs)
    ours = imdb.load_data(imdb_fixture, file_hash=_sha256(imdb_fixture), **kwargs)
    _same(ours, theirs)


@pytest.mark.oracle
@pytest.mark.parametrize("kwargs", KERAS_ARGS + [{"test_split": 0.5}, {"test_split": 0.0}, {"test_split": 1.0}],
                         ids=lambda k: json.dumps(k))
def test_reuters_load_data_gives_keras_arrays(reuters_fixture, monkeypatch, kwargs):
    monkeypatch.setattr(keras_reuters, "get_file", lambda *a, **k: str(reuters_fixture))
    theirs = keras_reuters.load_data(**kwargs)
    ours = reuters.load_data(reuters_fixture, file_hash=_sha256(reuters_fixture), **kwargs)
    _same(ours, theirs)


@pytest.mark.oracle
def test_imdb_maxlen_too_small_is_an_error_like_keras(imdb_fixture, monkeypatch):
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: str(imdb_fixture))
    with pytest.raises(ValueError):
        keras_imdb.load_data(maxlen=2)
    with pytest.raises(ValueError, match="increase maxlen"):
        imdb.load_data(imdb_fixture, file_hash=_sha256(imdb_fixture), maxlen=2)


def test_without_the_fixtures_hash_the_published_one_is_required(imdb_fixture):
    # The file is not Keras's imdb.npz, so it is refused before anything is unpickled.
    with pytest.raises(HashMismatchError, match="69664113be75683a"):
        imdb.load_data(imdb_fixture)
    with pytest.raises(HashMismatchError):
        reuters.load_data(imdb_fixture, file_hash="sha256:" + "0" * 64)


class _Gadget:
    """Unpickling this would call os.getcwd: harmless, but any call means the lock failed."""

    def __reduce__(self):
        return (os.getcwd, ())


def test_a_pickle_that_asks_for_code_is_refused_even_with_a_matching_hash(tmp_path):
    path = tmp_path / "evil.npz"
    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 2], _Gadget()
    np.savez(path, x=x, y=np.array([0, 1]))
    with pytest.raises(CorruptArchiveError, match="refusing to load"):
        reuters.load_data(path, file_hash=_sha256(path))


def test_files_without_keras_arrays_or_not_npz_are_reported(tmp_path):
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, a=np.arange(3))
    with pytest.raises(DataFormatError, match=r"lacks the arrays \['x_train'"):
        imdb.load_data(wrong, file_hash=_sha256(wrong))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CorruptArchiveError, match="not a readable .npz"):
        imdb.load_data(broken, file_hash=_sha256(broken))


def test_word_index_and_decode(tmp_path, imdb_fixture):
    words = {f"w{r}": r for r in range(1, VOCAB + 1)}
    path = tmp_path / "index.json"
    path.write_text(json.dumps(words))
    word_index = imdb.get_word_index(path, file_hash=_sha256(path))
    assert word_index == words
    (x_train, _), _ = imdb.load_data(imdb_fixture, file_hash=_sha256(imdb_fixture), num_words=10)
    # Keras's documented recipe, written out, is the reference for decode().
    inverted = {i + 3: w for w, i in word_index.items()}
    inverted[1], inverted[2] = "[START]", "[OOV]"
    for seq in x_train[:5]:
        assert imdb.decode(seq, word_index) == " ".join(inverted[i] for i in seq)
    assert imdb.decode([0, 0, 1, 4, 3], word_index) == "[START] w1 [UNK]"  # padding skipped, 3 names no word
    assert reuters.decode([1, 2, 5], word_index) == "[START] [OOV] w2"


def test_reuters_label_names_match_keras():
    assert reuters.get_label_names() == tuple(keras_reuters.get_label_names())

