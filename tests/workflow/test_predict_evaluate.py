"""`rnnkit predict` gives model.predict's probabilities; evaluate and compare read runs back."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.models import load_model
from rnnkit.workflow.predict import predict_texts
from rnnkit.workflow.runs import Run

from .conftest import write_recipe, write_reviews

TEXTS = ["a good great wonderful film", "the plot was bad and dull", "it was the story"]


def _by_hand(run_dir, texts):
    """model.predict on the text, encoded by Keras's own Tokenizer (keras-preprocessing) read
    from vocabulary.json and Keras 3's pad_sequences: no rnnkit code between text and ids."""
    from keras.utils import pad_sequences
    from keras_preprocessing.text import tokenizer_from_json
    vocabulary = json.loads((run_dir / "vocabulary.json").read_text())
    tokenizer = tokenizer_from_json(json.dumps(vocabulary["tokenizer"]))
    x = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=vocabulary["maxlen"])
    return load_model(run_dir / "model.keras").predict(x, verbose=0)[:, 0]


@pytest.mark.oracle  # the expectation is encoded by Keras's tokenizer and padding
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
    texts.write_text("\n".join(TEXTS) + "\n")
    assert main(["predict", str(trained_run), "--file", str(texts)]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("\n".join(TEXTS).encode())))
    assert main(["predict", str(trained_run), "-"]) == 0
    assert capsys.readouterr().out == from_file and len(from_file.splitlines()) == 3


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))


def test_one_json_row_per_line_in_order_with_flags(trained_run, tmp_path, capsys):
    long_text = " ".join(["good"] * 25_000 + ["bad"] * 25_000)      # 50,000 words
    lines = ["a good great film", "", "   ", "!!! 😀 좋은 영화 zzxqj", long_text, "dull bad plot"]
    texts = tmp_path / "mixed.txt"
    texts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["predict", str(trained_run), "--file", str(texts), "--json"]) == 1
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["text"] for r in rows] == lines
    assert [r["error"] for r in rows] == [None, "empty text", "empty text", None, None, None]
    assert [r["label"] is None for r in rows] == [False, True, True, False, False, False]
    assert rows[3]["known_tokens"] == 0 and rows[3]["unknown_tokens"] == 4  # "!!!" is filtered out
    assert rows[0]["known_tokens"] == 4 and rows[0]["unknown_tokens"] == 0  # 'a' is known
    assert [r["truncated"] for r in rows] == [False, False, False, False, True, False]
    assert "2 empty text(s)" in captured.err and "mixed.txt:2" in captured.err


def test_plain_output_flags_unknown_and_cut_texts(trained_run, capsys):
    assert main(["predict", str(trained_run), "qqq zzz", "good " * 40, "bad dull"]) == 0
    flags = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert "[no known word]" in flags[0]
    assert "[cut to the last 12 of 40 tokens]" in flags[1]
    assert "[" not in flags[2]


def test_sources_keep_the_order_given(trained_run, tmp_path, capsys, monkeypatch):
    file = tmp_path / "f.txt"
    file.write_text("from file one\nfrom file two\n")
    _stdin(monkeypatch, "from stdin\n")
    args = ["predict", str(trained_run), "first", "-", "--json", "second", "--file", str(file),
            "third", "--top", "2"]
    assert main(args) == 0
    texts = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert texts == ["first", "from stdin", "second", "from file one", "from file two", "third"]


def test_stdin_is_read_when_piped_alone(trained_run, capsys, monkeypatch):
    _stdin(monkeypatch, "loved it\n\nhated it\n")
    assert main(["predict", str(trained_run), "--json"]) == 1
    assert [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()] == \
        ["loved it", "", "hated it"]


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


@pytest.mark.oracle  # the expectation is encoded by Keras's tokenizer and padding
def test_evaluate_counts_what_the_model_says_on_a_file(trained_run, tmp_path, capsys):
    """The accuracy evaluate prints, against labels and predictions worked out by hand."""
    other = write_reviews(tmp_path / "other.csv", n=50, seed=7)
    with open(other, newline="") as f:
        rows = list(csv.DictReader(f))
    p = _by_hand(trained_run, [r["text"] for r in rows])
    expected = np.mean([(pi > 0.5) == (r["label"] == "pos") for pi, r in zip(p, rows)])
    assert main(["evaluate", str(trained_run), "--data", str(other)]) == 0
    out = capsys.readouterr().out
    assert "(50 examples)" in out and "Negative" in out and "Positive" in out
    assert float(re.search(r"accuracy (\d\.\d+)", out).group(1)) == pytest.approx(expected,
                                                                                 abs=1e-4)
    assert main(["evaluate", str(trained_run)]) == 0
    assert "the run's test set (a 25% stratified split" in capsys.readouterr().out


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
