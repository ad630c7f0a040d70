"""TextVectorization against real Keras 3 + TensorFlow, through fixtures (no TensorFlow here).

tests/fixtures/make_text_vectorization_fixtures.py wrote, with Keras on TensorFlow: the layer's
vocabulary, config and outputs for 23 configurations on a corpus with punctuation, apostrophes,
unicode, odd whitespace, empty texts and ties (cases.json), and two .keras files with Keras's
predictions. The other direction (Keras loading rnnkit's files) is test_text_vectorization_tf.py.
"""

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from rnnkit import layers
from rnnkit.layers import TextVectorization
from rnnkit.model import Sequential
from rnnkit.saving import ModelFileError, UnsupportedModelError, load_model
from rnnkit.workflow.encoders import TokenCount

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "text_vectorization"
ORACLE = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))
CORPUS, QUERIES = ORACLE["corpus"], ORACLE["queries"]


def _inputs(kwargs, texts):
    arr = np.array(texts)
    return arr[:, None] if "split" in kwargs and kwargs["split"] is None else arr


def _layer(case) -> TextVectorization:
    kwargs = dict(case["kwargs"])
    if isinstance(kwargs.get("ngrams"), list):
        kwargs["ngrams"] = tuple(kwargs["ngrams"])
    layer = TextVectorization(**kwargs)
    if case["adapt_on"] is not None:
        layer.adapt(_inputs(kwargs, case["adapt_on"]))
    return layer


# ---- semantics ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ORACLE["cases"]))
def test_outputs_and_vocabulary_match_keras(name):
    case = ORACLE["cases"][name]
    layer = _layer(case)
    assert layer.get_vocabulary() == case["vocabulary"]
    assert layer.vocabulary_size() == case["vocabulary_size"]
    out, expected = layer(_inputs(case["kwargs"], QUERIES)), np.array(case["output"])
    assert out.shape == expected.shape
    if layer.output_mode == "int":
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, expected)
    else:
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(ORACLE["cases"]))
def test_config_matches_keras(name):
    case = ORACLE["cases"][name]
    layer = _layer(case)
    config = json.loads(json.dumps({k: v for k, v in layer.get_config().items()
                                    if k not in ("name", "dtype")}))
    expected = dict(case["config"])
    if not layer._lookup_layer.writable_as_lines:
        # a token holding a line break ("\n" as a character, a whole text): Keras would write a
        # vocabulary.txt it reads back wrong, so rnnkit keeps the vocabulary in the config
        assert config.pop("vocabulary") == case["vocabulary"]
        expected.pop("vocabulary")
    assert config == expected


def test_standardize_lowercases_ascii_only_and_strips_ascii_punctuation():
    layer = TextVectorization(split=None, vocabulary=["x"])
    assert layer._standardized(["ÉCOLE İ ẞ ΣΑΣ It's A-b.c,d«e»—f…"]) == ["École İ ẞ ΣΑΣ its abcd«e»—f…"]


def test_whitespace_is_the_six_ascii_characters():
    layer = TextVectorization(standardize=None, vocabulary=["x"])
    assert layer._tokenize(["a\tb\nc\rd\x0be\x0cf g\xa0h\u3000i\x85j\u2028k"]) == [
        ["a", "b", "c", "d", "e", "f", "g\xa0h\u3000i\x85j\u2028k"]]


def test_the_fast_split_path_knows_every_other_python_whitespace():
    """Texts without these characters split with str.split(), which splits on all of them."""
    from rnnkit.layers.text_vectorization import PYTHON_ONLY_WHITESPACE

    python_only = {c for c in map(chr, range(0x110000)) if c.isspace()} - set(" \t\n\v\f\r")
    assert {c for c in python_only if PYTHON_ONLY_WHITESPACE.fullmatch(c)} == python_only


def test_ngrams_go_width_by_width():
    layer = TextVectorization(ngrams=(1, 2), vocabulary=["x"])
    assert layer._tokenize(["a b c", "d", ""]) == [["a", "b", "c", "a b", "b c"], ["d"], []]


def test_int_mode_pads_and_cuts_at_the_end():
    layer = TextVectorization(vocabulary=["a", "b", "c", "d"], output_sequence_length=3)
    np.testing.assert_array_equal(layer(np.array(["a b c d", "d", ""])),
                                  [[2, 3, 4], [5, 0, 0], [0, 0, 0]])


def test_adapt_breaks_ties_by_the_token_descending():
    layer = TextVectorization(standardize=None)
    layer.adapt(["b a é Z z 中 🙂 aa", "a"])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "🙂", "中", "é", "z", "b", "aa", "Z"]


def test_special_tokens_in_texts_and_vocabularies():
    layer = TextVectorization(standardize=None)
    layer.adapt(["[UNK] a a [UNK]", "b"])  # the OOV token is never learned
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b"]
    given = TextVectorization(standardize=None, vocabulary=["a", "[UNK]", "b"])
    np.testing.assert_array_equal(given(np.array(["a [UNK] b x"])), [[2, 3, 4, 1]])
    with pytest.raises(ValueError, match="mask token '' at position 1"):
        TextVectorization(vocabulary=["a", "", "b"])


def test_input_shapes_and_kinds():
    layer = TextVectorization(vocabulary=["héllo", "world"])
    expected = [[2, 3], [1, 0]]
    for x in (np.array(["héllo world", "x"]), np.array([["héllo world"], ["x"]]),
              ["héllo world", "x"], np.array(["héllo world".encode(), b"x"]),
              np.array(["héllo world", b"x"], dtype=object)):
        np.testing.assert_array_equal(layer(x), expected)


def test_vocabulary_file_reads_as_tensorflow_does(tmp_path):
    (tmp_path / "v.txt").write_bytes(b"x\r\ny\nz\n")
    layer = TextVectorization(vocabulary=str(tmp_path / "v.txt"), standardize=None, split=None)
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y", "z"]
    assert layer.get_config()["vocabulary"] is None  # saved as an asset, as Keras does
    (tmp_path / "bad.txt").write_text("x\n\ny\n")
    with pytest.raises(ValueError, match="has an empty line"):
        TextVectorization(vocabulary=str(tmp_path / "bad.txt"))


def test_set_vocabulary_and_the_bag_modes_index_from_the_oov_token():
    layer = TextVectorization(output_mode="count", max_tokens=6, pad_to_max_tokens=True)
    layer.set_vocabulary(["[UNK]", "b", "a"])
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
    np.testing.assert_array_equal(layer(np.array(["a a z b"])), [[1, 1, 2, 0, 0, 0]])
    assert layer.compute_output_shape((None,)) == (None, 6)


def test_callables_run_in_memory():
    layer = TextVectorization(standardize=lambda x: np.char.upper(x),
                              split=lambda x: [t.split("-") for t in x], vocabulary=["A", "B"])
    np.testing.assert_array_equal(layer(np.array(["a-b-c"])), [[2, 3, 1]])


def test_count_tokens_and_maxlen():
    layer = TextVectorization(vocabulary=["good", "film"], output_sequence_length=2)
    assert layer.maxlen == 2
    assert layer.count_tokens(["A good, good film!", "", "unknown words"]) == [
        TokenCount(known=3, unknown=1, length=4), TokenCount(0, 0, 0), TokenCount(0, 2, 2)]


# ---- in a model -------------------------------------------------------------------------------------
def _gru_model(engine, **options):
    vectorize = TextVectorization(max_tokens=40, output_sequence_length=10, **options)
    vectorize.adapt(CORPUS)
    model = Sequential([layers.Input(shape=(), dtype="string"), vectorize,
                        layers.Embedding(40, 6, mask_zero=True), layers.GRU(4),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", engine=engine)
    return model


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_raw_texts_predict_as_their_ids(engine):
    model = _gru_model(engine)
    ids = model.layers[0](np.array(QUERIES))
    np.testing.assert_array_equal(model.predict(np.array(QUERIES), verbose=0),
                                  model.predict(ids, verbose=0))
    history = model.fit(np.array(CORPUS), np.arange(len(CORPUS)) % 2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("name", ["gru_model", "tfidf_model"])
@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_keras_file_predicts_as_keras(name, engine):
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    model = load_model(FIXTURES / f"{name}.keras")
    model.compile(optimizer="adam", loss="binary_crossentropy", engine=engine)
    np.testing.assert_allclose(model.predict(np.array(expected["texts"]), verbose=0),
                               expected["predictions"], atol=1e-6)


def _h5_paths(archive: zipfile.ZipFile) -> list[str]:
    paths = []
    with archive.open("model.weights.h5") as f, h5py.File(f) as h5:
        h5.visititems(lambda name, obj: paths.append(name))
    return sorted(paths)


@pytest.mark.parametrize("name", ["gru_model", "tfidf_model"])
def test_our_file_has_keras_layout(name, tmp_path):
    """Same members (vocabulary.txt twice), weights paths (idf_weights by name), config entry."""
    keras_file = zipfile.ZipFile(FIXTURES / f"{name}.keras")
    model = load_model(FIXTURES / f"{name}.keras")
    model.save(tmp_path / "ours.keras")
    ours = zipfile.ZipFile(tmp_path / "ours.keras")
    assert sorted(ours.namelist()) == sorted(keras_file.namelist())
    for member in ours.namelist():
        if member.startswith("assets/"):
            assert ours.read(member) == keras_file.read(member)
    assert _h5_paths(ours) == _h5_paths(keras_file)
    entry = json.loads(ours.read("config.json"))["config"]["layers"][1]
    keras_entry = json.loads(keras_file.read("config.json"))["config"]["layers"][1]
    assert entry == keras_entry


@pytest.mark.parametrize("options", [
    {}, {"output_mode": "tf_idf", "pad_to_max_tokens": True, "output_sequence_length": None},
    {"vocabulary": ["wonderful", "film", "good"]},
    {"standardize": None, "split": "character", "max_tokens": None}])
def test_round_trip(options, tmp_path):
    """Adapted, tf_idf padded (a file Keras itself cannot read back), given vocabulary, and a
    vocabulary holding "\\n" (kept in the config) all load with the same ids and predictions."""
    vectorize = TextVectorization(**{"max_tokens": 60, "output_sequence_length": 10, **options})
    if "vocabulary" not in options:
        vectorize.adapt(CORPUS)
    assert vectorize._lookup_layer.writable_as_lines == ("split" not in options)
    rest = [layers.Dense(1)] if vectorize.output_mode != "int" else [
        layers.Embedding(vectorize.vocabulary_size(), 3, mask_zero=True), layers.GRU(2),
        layers.Dense(1)]
    model = Sequential([layers.Input(shape=(), dtype="string"), vectorize] + rest)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    again = loaded.layers[0]
    assert again.get_vocabulary() == vectorize.get_vocabulary()
    assert again.get_config() | {"name": 0} == vectorize.get_config() | {"name": 0}
    np.testing.assert_array_equal(again(np.array(QUERIES)), vectorize(np.array(QUERIES)))
    np.testing.assert_array_equal(loaded.predict(np.array(QUERIES), verbose=0),
                                  model.predict(np.array(QUERIES), verbose=0))


# ---- errors -------------------------------------------------------------------------------------------
def _one_line(error_info):
    assert "\n" not in str(error_info.value)


def test_user_errors_are_one_line(tmp_path):
    layer = TextVectorization(vocabulary=["a"])
    for bad, error, match in ((np.array([1, 2]), TypeError, "expects strings.*int64"),
                              (np.array([["a", "b"]]), ValueError, r"shape \(n,\) or \(n, 1\)"),
                              ("one text", ValueError, r"got shape \(\); wrap a single text"),
                              ([None], TypeError, "expects strings, got NoneType")):
        with pytest.raises(error, match=match) as e:
            layer(bad)
        _one_line(e)
    for data, match in (([], "adapt got no texts"), (np.array([], dtype=str), "got no texts"),
                        (["", "...", " ! "], "found no tokens in 3 text")):
        with pytest.raises(ValueError, match=match) as e:
            TextVectorization().adapt(data)
        _one_line(e)
    for option in ("sparse", "ragged"):
        with pytest.raises(ValueError, match=f"{option}=True is not supported") as e:
            TextVectorization(**{option: True})
        _one_line(e)
    with pytest.raises(ValueError, match="has no vocabulary yet") as e:
        TextVectorization()(np.array(["a"]))
    with pytest.raises(ValueError, match="cannot adapt layer.*given at construction"):
        layer.adapt(["a b"])


def test_a_function_cannot_be_saved(tmp_path):
    model = Sequential([layers.Input(shape=(), dtype="string"),
                        TextVectorization(standardize=str.lower, vocabulary=["a"]),
                        layers.Embedding(3, 2), layers.GRU(2)])
    with pytest.raises(UnsupportedModelError, match="standardize='lower' is a Python function.*"
                                                    "register_keras_serializable") as e:
        model.save(tmp_path / "m.keras")
    _one_line(e)
    assert not (tmp_path / "m.keras").exists()


def test_a_missing_vocabulary_asset_is_one_line(tmp_path):
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(FIXTURES / "gru_model.keras") as src, zipfile.ZipFile(path, "w") as dst:
        for member in src.namelist():
            if member != "assets/layers/text_vectorization/vocabulary.txt":
                dst.writestr(member, src.read(member))
    with pytest.raises(ModelFileError, match="vocabulary.txt is missing") as e:
        load_model(path)
    _one_line(e)
