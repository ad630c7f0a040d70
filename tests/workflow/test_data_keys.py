"""Recipe keys for one's own data: a character-level tokenizer and a sampled test set."""

from __future__ import annotations

import json

import pytest

from rnnkit.cli import main
from rnnkit.workflow.recipes import RecipeError, load
from rnnkit.workflow.validate import check_config

from .conftest import write_recipe


def _train(tmp_path, *sets):
    args = ["train", str(write_recipe(tmp_path, epochs=1)), "--runs-dir", str(tmp_path / "runs"),
            "--quiet"]
    for item in sets:
        args += ["--set", item]
    assert main(args) == 0
    (run,) = (tmp_path / "runs").iterdir()
    return run


def test_char_level_makes_every_character_a_token(tmp_path, capsys):
    run = _train(tmp_path, "data.char_level=true", "data.maxlen=60")
    tokenizer = json.loads(json.loads((run / "vocabulary.json").read_text())["tokenizer"]
                           ["config"]["word_index"])
    assert tokenizer and all(len(token) == 1 for token in tokenizer)   # letters, not words
    capsys.readouterr()
    assert main(["predict", str(run), "great superb film", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    # Keras's char_level tokenizer keeps every character, the spaces too
    assert record["known_tokens"] == len("great superb film") and not record["unknown_tokens"]


def test_char_level_is_refused_for_the_keras_imdb_ids(tmp_path):
    config = load("lstm", ["data.char_level=true"])
    with pytest.raises(RecipeError, match=r"data\.char_level applies to data\.encoding = "
                                          r"'tokenizer'.*--set data\.encoding=tokenizer"):
        check_config(config)


def test_test_size_samples_the_test_set_from_every_class(tmp_path):
    run = _train(tmp_path, "data.test_size=20")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["examples"]["test"] == 20
    support = [row["support"] for row in metrics["per_class"].values()]
    assert len(support) == 2 and all(n > 0 for n in support) and sum(support) == 20
