"""A new user's own data, end to end through the documented CLI: the right label *names*.

Every scenario trains the default recipe on a file the test makes, then checks what a user
reads: predicted names on obvious texts, and that metrics.json, ``evaluate`` and
``predict --json`` agree on them — and that the recipe's own display names (Negative/Positive,
written for the movie reviews' neg/pos) never land on other data.
"""

from __future__ import annotations

import json

import pytest

from rnnkit.cli import main

from .own_data import (FAST, SENTIMENT, SPAM, TOPICS, examples, obvious, write_delimited,
                       write_jsonl)


def _train(tmp_path, capsys, *args) -> "Path":  # noqa: F821 - pathlib.Path
    runs = tmp_path / "runs"
    assert main(["train", *args, "--runs-dir", str(runs), *FAST]) == 0, capsys.readouterr().err
    (run,) = runs.iterdir()
    capsys.readouterr()
    return run


def _predict_json(run, capsys, *texts, extra=()) -> list[dict]:
    code = main(["predict", str(run), "--json", *texts, *extra])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return code, rows


def _metrics(run) -> dict:
    return json.loads((run / "metrics.json").read_text(encoding="utf-8"))


def test_three_topics_in_a_tsv_with_their_own_test_file(tmp_path, capsys):
    header = ("body", "topic")
    train = write_delimited(tmp_path / "train.tsv", examples(TOPICS, 300, 0), header, "\t")
    test_rows = examples(TOPICS, 60, 1)
    test = write_delimited(tmp_path / "test.tsv", test_rows, header, "\t")
    run = _train(tmp_path, capsys, "--data", str(train), "--test-data", str(test),
                 "--text-column", "body", "--label-column", "topic")
    metrics = _metrics(run)
    assert metrics["class_names"] == ["arts", "business", "sports"]          # sorted values
    assert metrics["display_names"] == metrics["class_names"]
    assert set(metrics["per_class"]) == {"arts", "business", "sports"}
    assert metrics["examples"]["test"] == 60 and "test.tsv" in metrics["test_source"]

    code, rows = _predict_json(run, capsys, *(obvious(w) for w in TOPICS.values()))
    assert code == 0 and [r["label"] for r in rows] == list(TOPICS)
    for row in rows:
        assert set(row["probabilities"]) == {"arts", "business", "sports"}
        assert row["probability"] == max(row["probabilities"].values())
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)

    # evaluate reuses the run's columns and test file, and counts what predict says
    assert main(["evaluate", str(run), "--json"]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    assert set(evaluation["per_class"]) == {"arts", "business", "sports"}
    code, rows = _predict_json(run, capsys, *(text for text, _ in test_rows))
    by_hand = sum(r["label"] == label for r, (_, label) in zip(rows, test_rows)) / 60
    assert evaluation["test_accuracy"] == pytest.approx(by_hand)
    assert evaluation["test_accuracy"] == pytest.approx(metrics["test_accuracy"])


def test_spam_and_ham_never_read_as_positive_or_negative(tmp_path, capsys):
    data = write_delimited(tmp_path / "sms.csv", examples(SPAM, 240, 2), ("message", "kind"))
    run = _train(tmp_path, capsys, "--data", str(data), "--text-column", "message",
                 "--label-column", "kind")
    assert _metrics(run)["display_names"] == ["ham", "spam"]
    assert "split of" in _metrics(run)["test_source"]                        # no test file
    assert main(["predict", str(run), obvious(SPAM["spam"]), obvious(SPAM["ham"])]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == ["spam", "ham"]
    assert "Positive" not in out and "Negative" not in out
    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    assert " ham " in out and " spam " in out and "Positive" not in out


def test_a_latin1_file_needs_its_encoding_and_says_where_it_breaks(tmp_path, capsys):
    rows = [(text.replace("the", "café"), label) for text, label in examples(SENTIMENT, 200, 3)]
    data = write_delimited(tmp_path / "latin.csv", rows, encoding="latin-1")
    assert main(["train", "--data", str(data), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "latin.csv, line " in err and ", column " in err
    assert "--encoding latin-1" in err and "encoding=" not in err.replace("--encoding", "")
    assert not (tmp_path / "runs").exists()

    run = _train(tmp_path, capsys, "--data", str(data), "--encoding", "latin-1")
    texts = tmp_path / "texts.txt"
    texts.write_bytes("a superb wonderful café\nan awful dull café\n".encode("latin-1"))
    assert main(["predict", str(run), "--file", str(texts)]) == 2
    err = capsys.readouterr().err
    assert "texts.txt, line 1, column 23" in err and "--encoding latin-1" in err
    code, rows = _predict_json(run, capsys, extra=("--file", str(texts), "--encoding", "latin-1"))
    assert code == 0 and [r["label"] for r in rows] == ["1", "0"]
    assert rows[0]["text"] == "a superb wonderful café"


def test_jsonl_with_integer_labels_and_names_given_by_value(tmp_path, capsys):
    rows = examples(SENTIMENT, 240, 4)
    data = write_jsonl(tmp_path / "reviews.jsonl", rows, "review", "stars", int_labels=True)
    names = "data.class_names={1 = 'liked', 0 = 'disliked'}"     # by value, in any order
    run = _train(tmp_path, capsys, "--data", str(data), "--text-column", "review",
                 "--label-column", "stars", "--set", names)
    metrics = _metrics(run)
    assert metrics["class_names"] == ["0", "1"]
    assert metrics["display_names"] == ["disliked", "liked"]
    code, rows = _predict_json(run, capsys, obvious(SENTIMENT["1"]), obvious(SENTIMENT["0"]))
    assert [(r["label"], r["label_value"]) for r in rows] == [("liked", "1"), ("disliked", "0")]


@pytest.mark.parametrize("names, needle", [
    ("data.class_names=['positive', 'negative']", "not a mapping from label value"),
    ("data.class_names={0 = 'a', 1 = 'b', 2 = 'c'}", "['2'] not in the data"),
    ("data.class_names={neg = 'Negative', pos = 'Positive'}", "no name for ['0', '1']"),
])
def test_display_names_must_cover_exactly_the_labels(tmp_path, capsys, names, needle):
    data = write_delimited(tmp_path / "d.csv", examples(SENTIMENT, 40, 5))
    assert main(["train", "--data", str(data), "--set", names,
                 "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "runs").exists()


def test_a_shipped_recipe_keeps_its_names_for_its_own_data_only():
    from rnnkit.workflow import recipes
    assert recipes.load("default")["data"]["class_names"] == {"neg": "Negative",
                                                              "pos": "Positive"}
    other = recipes.load("lstm", values={"data.source": "file", "data.path": "x.csv"})
    assert other["data"]["class_names"] == {} and other["reported"]["metric"] == ""
    kept = recipes.load("lstm", ["train.epochs=1"])
    assert kept["data"]["class_names"] == {"neg": "Negative", "pos": "Positive"}
    assert kept["reported"]["metric"]


def test_the_readme_example_data_maker_writes_what_the_readme_trains_on(tmp_path):
    import csv
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parents[2] / "examples" / "make_own_data.py"
    subprocess.run([sys.executable, str(script), str(tmp_path / "my_data"), "--train", "40",
                    "--test", "10"], check=True, capture_output=True)
    for name, n in (("train.csv", 40), ("test.csv", 10)):
        with open(tmp_path / "my_data" / name, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == n and set(rows[0]) == {"review", "sentiment"}
        assert {r["sentiment"] for r in rows} <= {"negative", "positive"}


def test_a_run_on_relative_paths_is_evaluated_from_any_folder(tmp_path, capsys, monkeypatch):
    data_dir = tmp_path / "project"
    data_dir.mkdir()
    write_delimited(data_dir / "train.csv", examples(SPAM, 120, 6))
    write_delimited(data_dir / "test.csv", examples(SPAM, 30, 7))
    monkeypatch.chdir(data_dir)
    run = _train(tmp_path, capsys, "--data", "train.csv", "--test-data", "test.csv")
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["test_path"] == str(data_dir / "test.csv")
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    assert "(30 examples)" in out and "test file" in out


def test_early_stopping_says_why_training_ended(tmp_path, capsys):
    data = write_delimited(tmp_path / "d.csv", examples(SENTIMENT, 120, 8))
    runs = tmp_path / "runs"
    args = ["train", "--data", str(data), "--runs-dir", str(runs), "--quiet",
            "--set", "train.epochs=40", "--set", "train.learning_rate=0.05",
            "--set", "data.maxlen=12", "--set", "train.patience=1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    (run,) = runs.iterdir()
    epochs = json.loads((run / "metrics.json").read_text())["epochs_run"]
    assert epochs < 40, "the precondition: early stopping must end this run"
    assert f"training stopped after epoch {epochs} of 40" in out
    assert "early stopping: val_accuracy did not improve" in (run / "train.log").read_text()


def test_imdb_word_ranks_are_not_used_on_other_data():
    from rnnkit.workflow import recipes
    assert recipes.load("lstm")["data"]["word_index"] == "keras"
    other = recipes.load("lstm", values={"data.source": "file", "data.path": "x.csv"})
    assert other["data"]["word_index"] == "train"
    kept = recipes.load("lstm", ["data.word_index=keras"], {"data.source": "file"})
    assert kept["data"]["word_index"] == "keras"
