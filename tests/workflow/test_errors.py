"""Bad input: one line naming the problem and the fix, exit status ≠ 0."""

from __future__ import annotations

import pytest

from rnnkit.cli import main

from .conftest import write_reviews


def _fails(args, capsys, *needles):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


def test_unknown_recipe(capsys):
    _fails(["train", "no-such-recipe"], capsys, "unknown recipe 'no-such-recipe'",
           "rnnkit recipes")


def test_unknown_key_in_set(capsys, tiny_recipe):
    _fails(["train", str(tiny_recipe), "--set", "train.epoch=3"], capsys,
           "unknown key 'train.epoch'", "train.epochs")


@pytest.mark.parametrize("item, needle", [("train.epochs=five", "expected a number"),
                                          ("train.epochs", "is not key=value"),
                                          ("model.layers.9.units=3", "no item '9'")])
def test_bad_set_values(capsys, tiny_recipe, item, needle):
    _fails(["train", str(tiny_recipe), "--set", item], capsys, needle)


def test_bad_layer_argument_names_the_layer(capsys, tiny_recipe, tmp_path):
    _fails(["train", str(tiny_recipe), "--runs-dir", str(tmp_path / "runs"),
            "--set", "model.layers.1.unitz=3"], capsys, "model.layers.1", "GRU")


def test_run_directory_without_a_model(capsys, tmp_path):
    (tmp_path / "half").mkdir()
    _fails(["predict", str(tmp_path / "half"), "some text"], capsys, "no model.keras",
           "rnnkit train")
    _fails(["evaluate", str(tmp_path / "nowhere")], capsys, "not a run directory")


def test_empty_text_to_predict(capsys, trained_run):
    _fails(["predict", str(trained_run), "fine film", "  "], capsys, "text 2 is empty")


def test_dataset_classes_do_not_match_the_model(capsys, trained_run, tmp_path):
    three = write_reviews(tmp_path / "three.csv", classes=("neg", "meh", "pos"), n=30)
    _fails(["evaluate", str(trained_run), "--data", str(three)], capsys,
           "has classes ['meh', 'neg', 'pos']", "trained on ['neg', 'pos']")


def test_nproc_needs_the_torch_engine(capsys, tiny_recipe):
    _fails(["train", str(tiny_recipe), "--nproc", "2"], capsys, "--engine torch")
