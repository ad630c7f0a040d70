"""The aclImdb tarball reader on a small archive in the Stanford layout, made here."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest

from rnnkit.data import CorruptArchiveError, DataFormatError
from rnnkit.datasets import aclimdb

REVIEWS = {  # member name -> text; deliberately not in sorted order
    "aclImdb/train/pos/10_8.txt": "A great film, truly great. Loved the cast.",
    "aclImdb/train/neg/2_1.txt": "Awful. The worst film; the plot was bad, bad, bad.",
    "aclImdb/train/pos/3_9.txt": "Great fun!<br /><br />Great cast, great plot.",
    "aclImdb/train/neg/0_4.txt": "Boring and bad. Not great.",
    "aclImdb/test/neg/5_2.txt": "Bad acting, a dull plot and a zebra.",
    "aclImdb/test/pos/1_7.txt": "Great film — naïve but charming.",
    "aclImdb/train/unsup/1_0.txt": "Unlabelled words here.",
    "aclImdb/train/unsup/0_0.txt": "More unlabelled words.",
}
EXTRAS = {"aclImdb/README": "readme", "aclImdb/imdb.vocab": "the\nand\n", "aclImdb/train/urls_pos.txt": "http://x\n"}


def make_archive(path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def archive(tmp_path):
    members = {name: text.encode("utf-8") for name, text in {**EXTRAS, **REVIEWS}.items()}
    path = tmp_path / "aclImdb_v1.tar.gz"
    return path, make_archive(path, members)


def test_reads_labelled_reviews_with_ids_and_ratings(archive):
    path, sha = archive
    ds = aclimdb.load_data(path, file_hash=sha)
    (x_train, y_train), (x_test, y_test) = ds
    # Ordered by class, then by numeric review id (3 before 10), whatever the archive order.
    assert ds.train.ids == ("train/neg/0", "train/neg/2", "train/pos/3", "train/pos/10")
    assert y_train.tolist() == [0, 0, 1, 1] and y_train.dtype == np.int64
    assert ds.train.meta["rating"].tolist() == [4, 1, 9, 8]
    assert x_train[2] == REVIEWS["aclImdb/train/pos/3_9.txt"]  # text kept verbatim, <br /> included
    assert x_test == [REVIEWS["aclImdb/test/neg/5_2.txt"], REVIEWS["aclImdb/test/pos/1_7.txt"]]
    assert ds.class_names == ("neg", "pos") and ds.unlabelled is None
    assert ds.test.class_counts() == {"neg": 1, "pos": 1}


def test_unsup_reviews_on_request(archive):
    path, sha = archive
    ds = aclimdb.load_data(path, file_hash=sha, unsup=True)
    assert ds.unlabelled.texts == ["More unlabelled words.", "Unlabelled words here."]
    assert ds.unlabelled.labels.tolist() == [-1, -1] and ds.unlabelled.meta["rating"].tolist() == [0, 0]


def test_truncated_archive_is_a_one_line_error(archive, tmp_path):
    path, _ = archive
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptArchiveError) as info:
        aclimdb.load_data(cut, file_hash=hashlib.sha256(cut.read_bytes()).hexdigest())
    assert "\n" not in str(info.value) and "truncated or damaged" in str(info.value)
    assert "download it again" in str(info.value)


def test_the_published_checksum_guards_a_truncated_download(archive, tmp_path):
    path, _ = archive
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "aclImdb_v1.tar.gz").write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="c40f74a18d3b"):
        aclimdb.load_data(data_dir=tmp_path / "cache")


def test_undecodable_review_names_the_file_and_line(tmp_path):
    members = {n: t.encode() for n, t in REVIEWS.items()}
    members["aclImdb/train/neg/7_3.txt"] = b"fine first line\nbad byte \xff here"
    path = tmp_path / "a.tar.gz"
    sha = make_archive(path, members)
    with pytest.raises(DataFormatError, match=r"train/neg/7_3\.txt, line 2: byte b'\\xff' is not valid UTF-8"):
        aclimdb.load_data(path, file_hash=sha)


def test_an_archive_without_reviews_is_refused(tmp_path):
    path = tmp_path / "empty.tar.gz"
    sha = make_archive(path, {"aclImdb/README": b"nothing"})
    with pytest.raises(CorruptArchiveError, match="not aclImdb_v1"):
        aclimdb.load_data(path, file_hash=sha)


@pytest.mark.oracle
@pytest.mark.parametrize("kwargs", [{}, {"num_words": 6}, {"num_words": 8, "skip_top": 2, "maxlen": 9}])
def test_keras_style_encoding_equals_keras_on_the_same_ranks(archive, tmp_path, monkeypatch, kwargs):
    """Rank the training words with Keras's own Tokenizer, store the ranks as an imdb.npz, and let
    Keras's imdb.load_data encode them: rnnkit must produce the same arrays straight from the text."""
    keras_text = pytest.importorskip("keras_preprocessing.text")
    keras_imdb = pytest.importorskip("keras.src.datasets.imdb")
    path, sha = archive
    ds = aclimdb.load_data(path, file_hash=sha)
    tok = keras_text.Tokenizer()
    tok.fit_on_texts(ds.train.texts)

    def ranks(texts):
        out = np.empty(len(texts), dtype=object)
        out[:] = [list(s) for s in tok.texts_to_sequences(texts)]
        return out

    npz = tmp_path / "imdb_from_text.npz"
    np.savez(npz, x_train=ranks(ds.train.texts), y_train=ds.train.labels,
             x_test=ranks(ds.test.texts), y_test=ds.test.labels)
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: str(npz))
    (k_xtr, k_ytr), (k_xte, k_yte) = keras_imdb.load_data(**kwargs)

    encoded = aclimdb.load_sequences(path, file_hash=sha, **kwargs)
    (xtr, ytr), (xte, yte) = encoded
    assert [list(s) for s in xtr] == [list(s) for s in k_xtr] and ytr.tolist() == k_ytr.tolist()
    assert [list(s) for s in xte] == [list(s) for s in k_xte] and yte.tolist() == k_yte.tolist()
    assert encoded.word_index == tok.word_index
    assert "zebra" not in encoded.word_index  # a test-only word: skipped, as in Keras's IMDB
    if not kwargs.get("skip_top"):  # skip_top > start_char hides the start mark, as in Keras
        assert encoded.decode(xtr[0]).startswith("[START] ")
