"""A dataset registered by one module is usable everywhere a recipe names a dataset.

The test registers a made-up source (no file, no network) the way a dataset module does, then
trains a recipe with ``data.source`` set to it through the CLI, evaluates the run on it by name,
and reads its note in the comparison report: nothing in the workflow names the datasets.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.data import LabelledTexts, TextDataset, sources
from rnnkit.workflow import report

from .conftest import FILLER, RECIPE, WORDS

NAME = "made_up_reviews"


def _texts(n: int, seed: int) -> LabelledTexts:
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    texts = [" ".join(rng.permutation(list(rng.choice(FILLER, 8))
                                      + list(rng.choice(WORDS[("neg", "pos")[y]], 3))))
             for y in labels]
    return LabelledTexts(texts, labels.astype(np.int64), ("neg", "pos"))


@pytest.fixture
def made_up_source():
    loads = []

    def load(data):
        loads.append(dict(data))
        return TextDataset(train=_texts(160, data["split_seed"]), test=_texts(40, 99))

    sources.register(sources.DatasetSource(
        NAME, load=load, summary="made-up reviews for a test",
        note=lambda data: f"{NAME} (invented)"))
    yield loads
    sources.unregister(NAME)


def _recipe(tmp_path):
    text = RECIPE.format(path="", names="{}", units=1, activation="sigmoid", epochs=2)
    text = text.replace('source = "file"\npath = ""\n', f'source = "{NAME}"\n')
    assert f'source = "{NAME}"' in text and "path =" not in text
    recipe = tmp_path / "made_up.toml"
    recipe.write_text(text, encoding="utf-8")
    return recipe


def test_a_registered_source_trains_evaluates_and_reports(tmp_path, capsys, made_up_source):
    runs_dir = tmp_path / "runs"
    assert main(["train", str(_recipe(tmp_path)), "--runs-dir", str(runs_dir), "--quiet"]) == 0
    (run,) = runs_dir.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["examples"]["test"] == 40
    assert metrics["test_source"] == f"the {NAME} test split"
    assert made_up_source[0]["source"] == NAME          # the loader got the [data] section
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", NAME, "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["data"] == NAME and evaluated["examples"] == 40
    assert f"{NAME} (invented)" in report.row_for(run).cells


def test_an_unknown_source_lists_the_registered_ones(tmp_path, capsys, made_up_source):
    assert main(["train", str(_recipe(tmp_path)), "--set", "data.source=nope", "--quiet",
                 "--runs-dir", str(tmp_path / "runs")]) != 0
    error = capsys.readouterr().err
    assert "unknown value 'nope'" in error and f"'{NAME}'" in error and "'movie_reviews'" in error


def test_a_name_is_registered_once(made_up_source):
    with pytest.raises(ValueError, match=f"{NAME!r} is already registered"):
        sources.register(sources.DatasetSource(NAME, load=lambda data: None, summary="again"))
