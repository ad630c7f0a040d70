"""`rnnkit predict` gives model.predict's probabilities; evaluate and compare read runs back."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.models import load_model
from rnnkit.preprocessing.sequence import pad_sequences
from rnnkit.preprocessing.text import tokenizer_from_json
from rnnkit.workflow.predict import predict_texts
from rnnkit.workflow.runs import Run

from .conftest import write_recipe, write_reviews

TEXTS = ["a good great wonderful film", "the plot was bad and dull", "it was the story"]


def _by_hand(run_dir, texts):
    """model.predict on the text, with the tokenizer read straight from vocabulary.json."""
    vocabulary = json.loads((run_dir / "vocabulary.json").read_text())
    tokenizer = tokenizer_from_json(json.dumps(vocabulary["tokenizer"]))
    x = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=vocabulary["maxlen"])
    return load_model(run_dir / "model.keras").predict(x, verbose=0)[:, 0]


def test_predict_equals_model_predict(trained_run, capsys):
    expected = _by_hand(trained_run, TEXTS)
    got = predict_texts(Run.open(trained_run), TEXTS)
    np.testing.assert_array_equal(got[:, 1], expected)
    assert main(["predict", str(trained_run), *TEXTS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, p in zip(lines, expected):
        label, percent = re.match(r"(Positive|Negative) \((\d+\.\d\d)%\)", line).groups()
        shown = p if label == "Positive" else 1 - p
        assert float(percent) == pytest.approx(100 * shown, abs=0.005)
        assert (label == "Positive") == (p > 0.5)


def test_predict_one_text_prints_label_and_confidence_only(trained_run, capsys):
    assert main(["predict", str(trained_run), "a wonderful superb moving film"]) == 0
    assert re.fullmatch(r"Positive \(\d+\.\d\d%\)\n", capsys.readouterr().out)


def test_predict_reads_a_file_and_stdin(trained_run, tmp_path, capsys, monkeypatch):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(TEXTS) + "\n\n")
    assert main(["predict", str(trained_run), "--file", str(texts)]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(TEXTS)))
    assert main(["predict", str(trained_run), "-"]) == 0
    assert capsys.readouterr().out == from_file and len(from_file.splitlines()) == 3


def test_multiclass_predict_prints_top_classes(tmp_path, capsys):
    recipe = write_recipe(tmp_path, classes=("neg", "meh", "pos"), epochs=4, name="three")
    assert main(["train", str(recipe), "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    capsys.readouterr()
    assert main(["predict", str(run), "an okay average plain film", "--top", "2"]) == 0
    out = capsys.readouterr().out.strip()
    names = re.findall(r"(\w+) \d+\.\d\d%", out)
    assert len(names) == 2 and names[0] == "meh"
    probabilities = [float(p) for p in re.findall(r"(\d+\.\d\d)%", out)]
    assert probabilities == sorted(probabilities, reverse=True)


def test_evaluate_on_the_test_set_and_on_a_file(trained_run, tmp_path, capsys):
    assert main(["evaluate", str(trained_run)]) == 0
    out = capsys.readouterr().out
    accuracy = float(re.search(r"accuracy (\d\.\d+)", out).group(1))
    stored = json.loads((trained_run / "metrics.json").read_text())["test_accuracy"]
    assert accuracy == pytest.approx(stored, abs=1e-4)
    other = write_reviews(tmp_path / "other.csv", n=50, seed=7)
    assert main(["evaluate", str(trained_run), "--data", str(other)]) == 0
    assert "(50 examples)" in capsys.readouterr().out


def test_compare_writes_a_report_of_finished_runs(trained_run, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compare", str(trained_run), "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text()
    table = [line for line in markdown.splitlines() if line.startswith("| tiny")]
    assert len(table) == 1 and "test 0.9" in table[0]
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert f"{metrics['test_accuracy']:.4f}" in table[0]
    html = (out / "report.html").read_text()
    assert "<table>" in html and "data:image/png;base64," in html
    assert (out / "curves.png").is_file()
