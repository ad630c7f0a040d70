"""Layer assets in .keras archives: save_assets/load_assets at Keras's assets/ paths, members
checked before they touch the disk, a missing or corrupt asset one line."""

import os
import zipfile

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.layers import Layer
from rnnkit.model import Sequential
from rnnkit.saving import ModelFileError, load_model


class WordIds(Layer):
    """A toy preprocessing layer whose vocabulary lives in an asset file, not in its config."""

    preprocessing = True

    def __init__(self, words=(), **kwargs):
        super().__init__(**kwargs)
        self.words = list(words)

    def forward(self, x, training=False, mask=None):
        index = {w: i + 1 for i, w in enumerate(self.words)}
        return np.array([[index.get(w, 0) for w in str(t).split()[:3]]
                         + [0] * (3 - len(str(t).split()[:3])) for t in np.ravel(x)])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 3)

    def save_assets(self, dir_path):
        with open(os.path.join(dir_path, "words.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(self.words))

    def load_assets(self, dir_path):
        with open(os.path.join(dir_path, "words.txt"), encoding="utf-8") as f:
            self.words = f.read().split("\n")


@pytest.fixture
def word_ids(monkeypatch):
    monkeypatch.setattr(layers, "WordIds", WordIds, raising=False)  # so load_model finds it
    return WordIds


def _model(words):
    return Sequential([layers.Input(shape=(), dtype="string"), WordIds(words),
                       layers.Embedding(5, 2, mask_zero=True), layers.GRU(2), layers.Dense(1)])


def test_a_layer_with_assets_round_trips(word_ids, tmp_path):
    model = _model(["good", "bad", "film"])
    texts = np.array(["good film", "bad bad film", "unknown"])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.read("assets/layers/word_ids/words.txt") == b"good\nbad\nfilm"
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.layers[0].words == ["good", "bad", "film"]
    np.testing.assert_array_equal(loaded.predict(texts, verbose=0), model.predict(texts, verbose=0))


def test_a_model_without_assets_writes_none(tmp_path):
    Sequential([layers.Input(shape=(3,)), layers.Dense(1)]).save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert not [n for n in zf.namelist() if n.startswith("assets")]


def _rewrite(path, rename=None, drop=None, corrupt=None):
    """Copy the archive member by member, renaming, dropping or corrupting one of them."""
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i.filename)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            if name == drop:
                continue
            zf.writestr(rename.get(name, name) if rename else name, data)
    if corrupt:  # flip bytes inside the stored member's data: its CRC no longer matches
        raw = bytearray(path.read_bytes())
        at = raw.find(corrupt)
        raw[at:at + len(corrupt)] = bytes(b ^ 0xFF for b in corrupt)
        path.write_bytes(bytes(raw))


@pytest.mark.parametrize("member", ["assets/../../escaped.txt", "/assets/../escaped.txt",
                                    "assets/layers/../../../escaped.txt",
                                    "assets\\..\\..\\escaped.txt", "assets/C:/escaped.txt"])
def test_a_tampered_member_path_is_refused(word_ids, tmp_path, member):
    path = tmp_path / "sub" / "m.keras"
    path.parent.mkdir()
    _model(["good"]).save(path)
    _rewrite(path, rename={"assets/layers/word_ids/words.txt": member})
    with pytest.raises(ModelFileError, match="points outside the model's folder") as e:
        load_model(path)
    assert "\n" not in str(e.value)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_a_missing_asset_is_one_line(word_ids, tmp_path):
    _model(["good"]).save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", drop="assets/layers/word_ids/words.txt")
    with pytest.raises(ModelFileError, match=r"'word_ids' \(assets/layers/word_ids\) cannot be "
                                             r"loaded: words.txt is missing$"):
        load_model(tmp_path / "m.keras")


def test_a_corrupt_asset_is_one_line(word_ids, tmp_path):
    _model(["remarkable", "performances"]).save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", corrupt=b"remarkable\nperformances")
    with pytest.raises(ModelFileError, match="words.txt is corrupt") as e:
        load_model(tmp_path / "m.keras")
    assert "\n" not in str(e.value)


def test_saving_a_layer_with_assets_is_atomic(word_ids, tmp_path):
    """A save_assets that fails leaves the previous file in place and no temporary behind."""
    _model(["good"]).save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    broken = _model(["bad"])
    broken.layers[0].save_assets = lambda dir_path: 1 / 0
    with pytest.raises(ZeroDivisionError):
        broken.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]
