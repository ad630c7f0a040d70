"""``rnnkit export``: the ONNX file and the preprocessing JSON beside it reproduce
``rnnkit predict --json`` without rnnkit — the dependency-free encoder of
examples/onnx_predict.py (shown in docs/using-a-model.md) gives the run's ids, and onnxruntime
on those ids gives the run's probabilities."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.workflow.runs import Run

from .conftest import RECIPE, write_reviews

pytest.importorskip("onnxruntime")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "onnx_predict.py"
DOCS = ROOT / "docs" / "using-a-model.md"

# the third has no known word (all padding), the fourth more than maxlen (cut in front)
TEXTS = ["good great film", "The plot was BAD, awful... and dull!", "zzz qqq",
         "great superb fun and the story was moving " * 2 + "but the plot was dull and bad",
         "wonderful"]


def _example():
    spec = importlib.util.spec_from_file_location("onnx_predict", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _train(tmp_path, replace: dict, name: str = "tiny") -> Path:
    data = write_reviews(tmp_path / f"{name}.csv")
    text = RECIPE.format(path=data.as_posix(), names='{ neg = "Negative", pos = "Positive" }',
                         units=1, activation="sigmoid", epochs=2)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    recipe = tmp_path / f"{name}.toml"
    recipe.write_text(text, encoding="utf-8")
    runs = tmp_path / f"runs-{name}"
    assert main(["train", str(recipe), "--runs-dir", str(runs), "--quiet"]) == 0
    (run,) = runs.iterdir()
    return run


# num_words below the data's vocabulary, so that the encoder's limit shows
MASKED = {'type = "Embedding", input_dim = 40, output_dim = 8':
          'type = "Embedding", input_dim = 40, output_dim = 8, mask_zero = true',
          'num_words = 40': 'num_words = 15'}
# keras.datasets.imdb's encoding, fed to the model as one-hot vectors: the graph takes the ids
ONE_HOT = {'encoding = "tokenizer"': 'encoding = "keras_imdb"\nword_index = "train"\n'
                                     'onehot = true\ndrop_ids_below = 3',
           '{ type = "Embedding", input_dim = 40, output_dim = 8 },\n': '',
           'type = "GRU", units = 6': 'type = "SimpleRNN", units = 6'}


def _predict_json(run, capsys) -> np.ndarray:
    capsys.readouterr()
    assert main(["predict", str(run), "--json", *TEXTS]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    classes = Run.open(run).classes
    return np.array([[row["probabilities"][name] for name in classes.names] for row in rows])


@pytest.mark.parametrize("recipe", [MASKED, ONE_HOT], ids=["tokenizer-masked", "imdb-one-hot"])
def test_exported_files_reproduce_predict_without_rnnkit(recipe, tmp_path, capsys):
    run = _train(tmp_path, recipe)
    capsys.readouterr()
    assert main(["export", str(run), "--format", "onnx"]) == 0
    said = capsys.readouterr().out
    model, side = run / "model.onnx", run / "model.preprocessing.json"
    assert said.count("\n") == 2 and str(model) in said and str(side) in said

    info = json.loads(side.read_text(encoding="utf-8"))
    assert info["input"]["name"] == "token_ids" and info["output"]["name"] == "probabilities"
    assert info["classes"] == Run.open(run).classes.to_dict()
    assert info["encoding"] == json.loads((run / "vocabulary.json").read_text(encoding="utf-8"))

    example = _example()
    ids = np.array(example.encode(TEXTS, info["encoding"]))
    encoder = Run.open(run).encoder()
    if info["input"]["one_hot_in_graph"]:
        from rnnkit.workflow.encoders import onehot
        np.testing.assert_array_equal(onehot(ids, info["encoding"]["num_words"]),
                                      encoder.encode(TEXTS))
    else:
        np.testing.assert_array_equal(ids, encoder.encode(TEXTS))
    assert (ids[2] == 0).all()                 # "zzz qqq": no known word, all padding

    names, probabilities = example.predict(model, TEXTS)
    assert names == list(Run.open(run).classes.names)
    np.testing.assert_allclose(probabilities, _predict_json(run, capsys), rtol=0, atol=1e-5)


CORPUS = ["The film was GOOD, good and fun!", "a dull plot; dull actors", "Fun? Yes: fun, fun.",
          "Ünïcode wörds and tabs\tand new\nlines", "a b c d e f g h i j k l m n o p"]
TOKENIZERS = [{}, {"num_words": 6}, {"num_words": 6, "oov_token": "<oov>"}, {"lower": False},
              {"char_level": True}, {"char_level": True, "num_words": 12},
              {"filters": "!,", "split": ";"}]


@pytest.mark.parametrize("options", TOKENIZERS, ids=lambda o: ",".join(o) or "defaults")
def test_the_encoder_gives_the_tokenizers_ids(options):
    # Every Tokenizer option, from the trimmed vocabulary a run saves and from a whole
    # tokenizer (older runs' vocabulary.json) alike.
    from rnnkit.data.text import Tokenizer
    from rnnkit.workflow.encoders import TokenizerEncoder
    tokenizer = Tokenizer(**options)
    tokenizer.fit_on_texts(CORPUS)
    encoder = TokenizerEncoder(maxlen=7, tokenizer=tokenizer)
    whole = {"kind": "tokenizer", "maxlen": 7, "tokenizer": json.loads(tokenizer.to_json())}
    texts = CORPUS + ["plot unseen words, good FILM", "", "o p q r s t u v w x y z"]
    for encoding in (encoder.to_dict(), whole):
        assert _example().encode(texts, encoding) == encoder.encode(texts).tolist()


IMDB = [{}, {"skip_top": 4}, {"drop_ids_below": 3}, {"index_from": 2, "oov_char": 1,
                                                      "start_char": 3}]


@pytest.mark.parametrize("options", IMDB, ids=lambda o: ",".join(o) or "defaults")
def test_the_encoder_gives_keras_imdb_ids(options):
    from rnnkit.data.keras_encoding import rank_vocabulary
    from rnnkit.workflow.encoders import KerasImdbEncoder
    encoder = KerasImdbEncoder(rank_vocabulary(CORPUS), num_words=10, maxlen=6, **options)
    texts = CORPUS + ["FILM plot unseen words, good", ""]
    assert _example().encode(texts, encoder.to_dict()) == encoder.from_ids(encoder.ids(texts)
                                                                           ).tolist()


def test_the_docs_show_the_examples_encoder():
    shown = re.search(r"```python\n(# --- encoder: start.*?# --- encoder: end ---\n)```",
                      DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert shown, "docs/using-a-model.md lost the encoder's code block"
    source = EXAMPLE.read_text(encoding="utf-8")
    assert shown[1] in source.replace(" (docs/using-a-model.md shows this part)", "")


@pytest.fixture
def exported_run(tmp_path, trained_run, capsys):
    assert main(["export", str(trained_run)]) == 0
    capsys.readouterr()
    return trained_run


def test_existing_files_are_kept_unless_overwrite(exported_run, capsys):
    model = exported_run / "model.onnx"
    before = model.read_bytes()
    assert main(["export", str(exported_run)]) == 2
    err = capsys.readouterr().err
    assert err == f"rnnkit export: error: {model} exists; pass --overwrite to replace it\n"
    (exported_run / "model.onnx").unlink()
    assert main(["export", str(exported_run)]) == 2               # the JSON is still there
    assert "model.preprocessing.json exists" in capsys.readouterr().err
    assert not model.exists()
    assert main(["export", str(exported_run), "--overwrite"]) == 0
    assert model.read_bytes() == before


def test_out_names_both_files(exported_run, tmp_path, capsys):
    out = tmp_path / "elsewhere" / "reviews.onnx"
    assert main(["export", str(exported_run), "--out", str(out)]) == 2
    assert f"the folder {out.parent} of --out does not exist" in capsys.readouterr().err
    out.parent.mkdir()
    assert main(["export", str(exported_run), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["reviews.onnx",
                                                            "reviews.preprocessing.json"]
    assert main(["export", str(exported_run), "--out", str(tmp_path)]) == 2
    assert "is a directory; give --out a file name" in capsys.readouterr().err


def test_a_model_onnx_cannot_express_is_one_line_and_nothing_is_written(tmp_path, capsys):
    run = _train(tmp_path, {'type = "GRU", units = 6': 'type = "LayerNormLSTM", units = 4'},
                 name="norm")
    capsys.readouterr()
    assert main(["export", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit export: error: layer 'layer_norm_lstm' (LayerNormLSTM): cell "
                          "LayerNormLSTMCell cannot be exported to ONNX") and err.count("\n") == 1
    assert not (run / "model.onnx").exists() and not (run / "model.preprocessing.json").exists()


@pytest.mark.oracle      # real Keras 3 loads the ids model and agrees with rnnkit
def test_keras_format_is_the_ids_model_real_keras_loads(trained_run, capsys):
    import keras
    assert main(["export", str(trained_run), "--format", "keras"]) == 0
    assert "(Keras 3 loads it)" in capsys.readouterr().out
    from rnnkit import load_classifier
    classifier = load_classifier(trained_run)
    ids = classifier.encoder_.encode(TEXTS)
    in_keras = keras.models.load_model(trained_run / "model-ids.keras")
    np.testing.assert_allclose(np.asarray(in_keras.predict(ids, verbose=0))[:, 0],
                               classifier.predict_proba(TEXTS)[:, 1], rtol=0, atol=1e-6)
    side = json.loads((trained_run / "model-ids.preprocessing.json").read_text())
    assert side["encoding"]["kind"] == "tokenizer" and side["classes"]["names"][1] == "Positive"


def test_a_model_file_exports_beside_itself_and_out_must_fit_the_format(trained_run, tmp_path,
                                                                         capsys):
    import shutil
    alone = tmp_path / "alone" / "reviews.keras"
    alone.parent.mkdir()
    shutil.copy(trained_run / "model.keras", alone)
    assert main(["export", str(alone)]) == 0
    assert (alone.parent / "reviews.onnx").is_file()
    assert (alone.parent / "reviews.preprocessing.json").is_file()
    capsys.readouterr()
    assert main(["export", str(trained_run), "--out", str(trained_run / "model.keras"),
                 "--overwrite"]) == 2
    assert "does not end in .onnx" in capsys.readouterr().err
    assert (trained_run / "model.keras").read_bytes()[:2] == b"PK"     # untouched


def test_a_text_vectorization_model_exports_with_an_encoder_the_example_reproduces(tmp_path):
    from rnnkit import layers, load_classifier
    from rnnkit.model import Sequential
    corpus = CORPUS + ["Fun, FUN; fun!", "naïve café déjà-vu", "tabs\tand\u00a0nbsp"]
    vectorize = layers.TextVectorization(max_tokens=30, output_sequence_length=6, ngrams=2)
    vectorize.adapt(corpus)
    model = Sequential([layers.Input(shape=(), dtype="string"), vectorize,
                        layers.Embedding(30, 4, mask_zero=True), layers.GRU(3),
                        layers.Dense(1, activation="sigmoid")])
    model.metadata["classes"] = {"values": ["a", "b"], "names": ["a", "b"]}
    model.save(tmp_path / "tv.keras")
    assert main(["export", str(tmp_path / "tv.keras")]) == 0
    side = json.loads((tmp_path / "tv.preprocessing.json").read_text(encoding="utf-8"))
    texts = corpus + ["unseen words here and more and more", ""]
    assert _example().encode(texts, side["encoding"]) == vectorize.encode(texts).tolist()
    names, probabilities = _example().predict(tmp_path / "tv.onnx", texts)
    np.testing.assert_allclose(probabilities,
                               load_classifier(tmp_path / "tv.keras").predict_proba(texts),
                               atol=1e-5)
