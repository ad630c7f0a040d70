"""Recipes on the real data in ../shared/data (RNNKIT_DATA), kept short: a slice, one epoch."""

from __future__ import annotations

import json
import re

import pytest

from rnnkit.cli import main
from rnnkit.workflow.predict import predict_texts
from rnnkit.workflow.runs import Run

pytestmark = pytest.mark.integration


def _train(tmp_path, recipe, *sets) -> Run:
    args = ["train", recipe, "--runs-dir", str(tmp_path / "runs"), "--quiet"]
    for item in sets:
        args += ["--set", item]
    assert main(args) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    return Run.open(run_dir)


def test_lstm_recipe_on_aclimdb_encoded_the_keras_way(tmp_path, capsys):
    run = _train(tmp_path, "lstm", "data.train_size=2000", "train.epochs=1")
    metrics = run.metrics()
    assert metrics["examples"] == {"train": 1600, "validation": 400, "test": 25000}
    vocabulary = json.loads((run.path / "vocabulary.json").read_text())
    assert vocabulary["kind"] == "keras_imdb" and vocabulary["word_index"]["the"] == 1
    x = run.encoder().encode(["this film was the best"])
    assert x[0, -6] == 1 and x[0, -1] == vocabulary["word_index"]["best"] + 3  # start mark, ids
    capsys.readouterr()
    assert main(["predict", str(run.path), "this film was the best"]) == 0
    assert re.fullmatch(r"(Positive|Negative) \(\d+\.\d\d%\)\n", capsys.readouterr().out)


def test_reuters_recipe_has_46_topics(tmp_path):
    run = _train(tmp_path, "reuters-gru", "data.train_size=300", "train.epochs=1",
                 "model.layers.0.output_dim=8", "model.layers.1.units=8",
                 "model.layers.2.units=8", "data.maxlen=40")
    metrics = run.metrics()
    assert len(metrics["class_names"]) == 46 and "earn" in metrics["class_names"]
    assert len(metrics["confusion_matrix"]) == 46
    top = predict_texts(run, ["oil prices rose as opec cut crude output"])
    assert top.shape == (1, 46)
