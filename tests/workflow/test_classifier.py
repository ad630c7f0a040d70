"""``load_classifier``: a run (or its one model file) as an object that reads raw text.

Expected probabilities come from outside the classifier: Keras's own Tokenizer (keras-
preprocessing) and Keras 3's ``pad_sequences`` turn the texts into ids, and the run's model
predicts on those ids; ``rnnkit predict --json`` must agree too.
"""

from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest

from rnnkit import load_classifier
from rnnkit.classifier import ClassifierError
from rnnkit.cli import main
from rnnkit.models import load_model

from .conftest import write_recipe

TEXTS = ["a good great wonderful film", "the plot was bad and dull", "it was the story",
         "okay average fine plain", "zzz unknown words only", "the " * 30 + "good"]


def _keras_ids(run_dir, texts):
    from keras.utils import pad_sequences
    from keras_preprocessing.text import tokenizer_from_json
    vocabulary = json.loads((run_dir / "vocabulary.json").read_text())
    tokenizer = tokenizer_from_json(json.dumps(vocabulary["tokenizer"]))
    return pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=vocabulary["maxlen"])


def _cli_json(run_dir, texts, capsys):
    capsys.readouterr()
    assert main(["predict", str(run_dir), "--json", *texts]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.fixture
def multiclass_run(tmp_path):
    recipe = write_recipe(tmp_path, classes=("meh", "neg", "pos"), name="three")
    assert main(["train", str(recipe), "--runs-dir", str(tmp_path / "runs3"), "--quiet"]) == 0
    (run,) = (tmp_path / "runs3").iterdir()
    return run


@pytest.mark.oracle
@pytest.mark.parametrize("which", ["binary", "multiclass"])
def test_probabilities_equal_the_cli_and_model_predict_on_keras_ids(
        which, trained_run, multiclass_run, capsys):
    run = trained_run if which == "binary" else multiclass_run
    classifier = load_classifier(run)
    got = classifier.predict_proba(TEXTS)
    outputs = load_model(run / "model.keras").predict(_keras_ids(run, TEXTS), verbose=0)
    expected = np.concatenate([1 - outputs, outputs], 1) if outputs.shape[1] == 1 else outputs
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-6)
    records = _cli_json(run, TEXTS, capsys)
    from_cli = np.array([[r["probabilities"][name] for name in classifier.classes_]
                         for r in records])
    np.testing.assert_allclose(got, from_cli, rtol=0, atol=1e-6)
    assert classifier.predict_details(TEXTS) == records
    assert list(classifier.predict(TEXTS)) == [r["label"] for r in records]


def test_classes_are_the_display_names_in_output_order(trained_run, multiclass_run):
    assert list(load_classifier(trained_run).classes_) == ["Negative", "Positive"]
    assert list(load_classifier(trained_run).label_values_) == ["neg", "pos"]
    assert list(load_classifier(multiclass_run).classes_) == ["meh", "neg", "pos"]


def test_the_model_file_alone_is_the_classifier(trained_run, tmp_path):
    """Copied away from vocabulary.json and classes.json, model.keras still reads raw text."""
    alone = tmp_path / "elsewhere" / "sentiment.keras"
    alone.parent.mkdir()
    shutil.copy(trained_run / "model.keras", alone)
    from_run, from_file = load_classifier(trained_run), load_classifier(alone)
    np.testing.assert_array_equal(from_file.predict_proba(TEXTS), from_run.predict_proba(TEXTS))
    assert list(from_file.classes_) == list(from_run.classes_)
    model = load_model(alone)
    np.testing.assert_array_equal(model.predict(np.array(TEXTS), verbose=0),
                                  model.predict(_keras_ids(trained_run, TEXTS), verbose=0))


def test_details_flag_unknown_words_and_truncation(trained_run):
    unknown, cut = load_classifier(trained_run).predict_details(TEXTS[4:6])
    assert unknown["known_tokens"] == 0 and unknown["unknown_tokens"] == 4
    assert cut["truncated"] and not unknown["truncated"]


def test_eight_threads_predict_what_one_thread_does(trained_run):
    classifier = load_classifier(trained_run)
    texts = [TEXTS[i % len(TEXTS)] + f" {'good ' * (i % 4)}" for i in range(40)]
    batches = [[texts[j:j + 5 + k] for j in range(0, 30, 3)] for k in range(8)]
    expected = [[classifier.predict_proba(b) for b in mine] for mine in batches]
    results, errors = [None] * 8, []

    def work(k):
        try:
            results[k] = [classifier.predict_proba(b) for b in batches[k]]
        except Exception as e:          # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for found, wanted in zip(results, expected):
        for got, want in zip(found, wanted, strict=True):
            np.testing.assert_array_equal(got, want)


def test_mistakes_are_one_line(trained_run, tmp_path):
    classifier = load_classifier(trained_run)
    with pytest.raises(TypeError, match="single string; wrap it in a list"):
        classifier.predict("a good film")
    with pytest.raises(TypeError, match="text 1 is a int"):
        classifier.predict(["fine", 3])
    with pytest.raises(ClassifierError, match="does not exist"):
        load_classifier(tmp_path / "nothing.keras")
    plain = tmp_path / "plain.keras"
    from rnnkit import layers      # a model without its text layer or classes
    from rnnkit.model import Sequential
    Sequential([layers.Input(shape=(4,)), layers.Embedding(5, 2), layers.GRU(2),
                layers.Dense(1, activation="sigmoid")]).save(plain)
    with pytest.raises(ClassifierError, match="has no text layer first"):
        load_classifier(plain)


def test_predict_and_evaluate_need_no_vocabulary_or_classes_file(trained_run, capsys):
    before = _cli_json(trained_run, TEXTS, capsys)
    (trained_run / "vocabulary.json").unlink()
    (trained_run / "classes.json").unlink()
    assert _cli_json(trained_run, TEXTS, capsys) == before
    assert main(["evaluate", str(trained_run)]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_a_model_that_starts_with_text_vectorization_is_a_classifier(tmp_path):
    """A Keras-style model (TextVectorization first) with its classes in model.metadata."""
    from rnnkit import layers
    from rnnkit.model import Sequential

    texts = ["a good film", "a bad film", "good good", "bad plot, bad"] * 4
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorize.adapt(texts)
    model = Sequential([layers.Input(shape=(), dtype="string"), vectorize,
                        layers.Embedding(20, 4, mask_zero=True), layers.LSTM(3),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(np.array(texts), np.array([1, 0, 1, 0] * 4), epochs=2, verbose=0)
    model.metadata["classes"] = {"values": ["neg", "pos"], "names": ["neg", "pos"]}
    model.save(tmp_path / "tv.keras")
    classifier = load_classifier(tmp_path / "tv.keras")
    outputs = model.predict(vectorize(np.array(texts[:4])), verbose=0)[:, 0]
    np.testing.assert_allclose(classifier.predict_proba(texts[:4])[:, 1], outputs, atol=1e-6)
    (detail,) = classifier.predict_details(["good zzz film and more words"])
    assert detail["unknown_tokens"] == 4 and detail["truncated"]


def test_score_takes_values_or_names_in_any_spelling(trained_run, multiclass_run):
    """A run from a CSV has string label values; int labels, values and names all score."""
    classifier = load_classifier(trained_run)
    texts = ["good great wonderful", "bad awful dull"] * 3
    by_name = classifier.score(texts, ["Positive", "Negative"] * 3)
    assert by_name > 0.5
    assert classifier.score(texts, ["pos", "neg"] * 3) == by_name
    three = load_classifier(multiclass_run)
    assert three.score(texts, ["pos", "neg"] * 3) == three.score(texts, ["pos", "neg"] * 3)
    with pytest.raises(ValueError, match=r"labels \['maybe'\] are not this classifier's"):
        classifier.score(texts, ["maybe"] * 6)


def test_a_loaded_run_refits_with_its_own_config(trained_run):
    params = load_classifier(trained_run).get_params()
    assert params["recipe"] == str(trained_run / "config.json")


def test_classes_can_be_given_for_a_file_that_lacks_them(tmp_path):
    from rnnkit import layers
    from rnnkit.model import Sequential
    vectorize = layers.TextVectorization(max_tokens=10, output_sequence_length=3)
    vectorize.adapt(["a good film", "a bad film"])
    model = Sequential([layers.Input(shape=(), dtype="string"), vectorize,
                        layers.Embedding(10, 2), layers.GRU(2),
                        layers.Dense(1, activation="sigmoid")])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ClassifierError, match=r"classes=\[…\]"):
        load_classifier(tmp_path / "m.keras")
    with pytest.raises(ClassifierError, match="3 classes given for a model with 1 output"):
        load_classifier(tmp_path / "m.keras", classes=["a", "b", "c"])
    classifier = load_classifier(tmp_path / "m.keras", classes=["neg", "pos"])
    assert classifier.predict(["a good film"])[0] in ("neg", "pos")
