"""``rnnkit explain`` and ``TextClassifier.explain`` on a small trained run: coloured text,
JSON, an HTML page written once (overwrite refused), and one-line errors."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

from rnnkit.classifier import load_classifier
from rnnkit.cli import main
from rnnkit.insight import ExplainError

TEXT = "a great and wonderful film, the plot was dull xyzzy"
TOKENS = ["a", "great", "and", "wonderful", "film", "the", "plot", "was", "dull", "xyzzy"]


def _json(capsys, *argv) -> dict:
    assert main(["explain", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys, *argv) -> str:
    """The one stderr line of a refused command (exit status 2; argparse's own exit too)."""
    try:
        status = main(["explain", *map(str, argv)])
    except SystemExit as e:
        status = e.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_terminal_output(trained_run, capsys):
    assert main(["explain", str(trained_run), TEXT]) == 0
    out = capsys.readouterr().out
    assert " ".join(TOKENS) in out
    assert "baseline" in out and re.search(r"integrated gradients, \d+ steps", out)
    assert "outside the vocabulary (xyzzy)" in out


def test_json_record_matches_the_classifier(trained_run, capsys):
    record = _json(capsys, trained_run, TEXT)
    assert [t["token"] for t in record["tokens"]] == TOKENS
    assert record["tokens"][-1] == {"token": "xyzzy", "status": "unknown", "position": None,
                                    "attribution": None}
    classifier = load_classifier(trained_run)
    p = classifier.predict_proba([TEXT])[0]
    assert record["label"] == classifier.classes_[np.argmax(p)]
    assert record["probability"] == pytest.approx(p.max(), abs=1e-6)
    change = record["probability"] - record["baseline_probability"]
    assert record["attribution_sum"] == pytest.approx(change, rel=0.01)
    ours = classifier.explain(TEXT).as_json()
    assert ours == record


@pytest.mark.parametrize("method", ["gradient-x-input", "occlusion"])
def test_other_methods_and_the_torch_engine(trained_run, capsys, method):
    pytest.importorskip("torch")
    numpy_run = _json(capsys, trained_run, TEXT, "--method", method)
    torch_run = _json(capsys, trained_run, TEXT, "--method", method, "--engine", "torch")
    assert numpy_run["method"] == method and numpy_run["steps"] is None
    for a, b in zip(numpy_run["tokens"], torch_run["tokens"], strict=True):
        assert (a["attribution"] is None) == (b["attribution"] is None)
        assert a["attribution"] is None or abs(a["attribution"] - b["attribution"]) < 1e-5


def test_target_by_name_or_label_value(trained_run, capsys):
    by_name = _json(capsys, trained_run, TEXT, "--target", "Negative", "--steps", "16")
    by_value = _json(capsys, trained_run, TEXT, "--target", "neg", "--steps", "16")
    assert by_name == by_value and by_name["label"] == "Negative" and by_name["steps"] == 16
    assert "not one of the classes" in _error(capsys, trained_run, TEXT, "--target", "meh")
    with pytest.raises(ExplainError):
        load_classifier(trained_run).explain(TEXT, target="meh")


def test_html_is_written_once(trained_run, capsys, tmp_path):
    page = tmp_path / "why.html"
    assert main(["explain", str(trained_run), TEXT + " <script>x</script>", "--html",
                 str(page)]) == 0
    assert f"HTML: {page}" in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert all(f">{token}<" in text for token in TOKENS) and "<script" not in text
    page.write_text("mine", encoding="utf-8")
    assert "exists; pass --overwrite" in _error(capsys, trained_run, TEXT, "--html", page)
    assert page.read_text(encoding="utf-8") == "mine"
    assert main(["explain", str(trained_run), TEXT, "--html", str(page), "--overwrite"]) == 0
    assert page.read_text(encoding="utf-8") != "mine"
    assert not [p for p in tmp_path.iterdir() if p.name != "why.html"]   # no temporary left


def test_text_from_standard_input(trained_run, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(TEXT + "\n"))
    assert [t["token"] for t in _json(capsys, trained_run, "-")["tokens"]] == TOKENS


@pytest.mark.parametrize("argv, message", [
    (["--method", "saliency"], "invalid choice: 'saliency'"),
    (["--method", "occlusion", "--steps", "8"], "--steps sets integrated gradients' steps"),
    (["--steps", "0"], "positive number of steps"),
    (["--html", "no/such/folder/x.html"], "does not exist"),
])
def test_mistakes_are_one_line(trained_run, capsys, argv, message):
    assert message in _error(capsys, trained_run, TEXT, *argv)


def test_empty_text_and_missing_run(trained_run, tmp_path, capsys):
    assert "text is empty" in _error(capsys, trained_run, "   ")
    assert "does not exist" in _error(capsys, tmp_path / "nothing.keras", TEXT)
