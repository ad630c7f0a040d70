"""Command-line conventions: --version, python -m, help with defaults, the resolved config,
re-running a run's config, options anywhere, and compare's one row and one curve per run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rnnkit.cli import main

from .conftest import write_recipe


def test_version_and_python_dash_m():
    import rnnkit
    out = subprocess.run([sys.executable, "-m", "rnnkit", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"rnnkit {rnnkit.__version__}"
    help_text = subprocess.run([sys.executable, "-m", "rnnkit", "--help"], capture_output=True,
                               text=True, check=True).stdout
    for command in ("train", "evaluate", "predict", "explain", "compare", "summary", "recipes",
                    "export", "gradients", "inspect"):
        assert command in help_text


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "explain", "compare",
                                     "summary", "export", "gradients", "inspect"])
def test_every_option_has_help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    options = [line.split()[0] for line in out.splitlines() if line.strip().startswith("--")]
    assert options, out
    from rnnkit.cli import _parser
    sub = _parser()._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"
    if command == "train":
        assert "(default: numpy)" in out and "(default: runs)" in out


def test_print_config_is_the_resolved_toml_and_trains_as_is(tmp_path, capsys, tiny_recipe):
    import tomllib
    assert main(["train", str(tiny_recipe), "--set", "train.epochs=2", "--print-config"]) == 0
    text = capsys.readouterr().out
    config = tomllib.loads(text)
    assert config["train"]["epochs"] == 2 and config["data"]["source"] == "file"
    assert config["data"]["class_names"] == {"neg": "Negative", "pos": "Positive"}
    printed = tmp_path / "printed.toml"
    printed.write_text(text)
    assert not (tmp_path / "runs").exists()                       # printing trains nothing
    assert main(["train", str(printed), "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 0


def test_a_runs_config_json_reruns_it_exactly(tmp_path, capsys, trained_run):
    assert main(["train", str(trained_run / "config.json"), "--quiet",
                 "--run-dir", str(tmp_path / "again")]) == 0
    first = json.loads((trained_run / "metrics.json").read_text())
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert json.loads((tmp_path / "again" / "config.json").read_text()) == \
        json.loads((trained_run / "config.json").read_text())
    for key in ("test_accuracy", "test_loss", "best_epoch", "confusion_matrix"):
        assert again[key] == first[key], key


def test_options_may_follow_the_texts(trained_run, capsys):
    capsys.readouterr()
    assert main(["predict", str(trained_run), "--top", "5", "great film"]) == 0
    assert main(["predict", str(trained_run), "great film", "--top", "5"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first == second


def test_compare_has_one_row_and_one_curve_per_run(tmp_path, capsys, tiny_recipe):
    runs = tmp_path / "runs"
    for epochs in (2, 3):
        assert main(["train", str(tiny_recipe), "--runs-dir", str(runs), "--quiet",
                     "--set", f"train.epochs={epochs}", "--run-dir",
                     str(runs / f"tiny-{epochs}")]) == 0
    other = write_recipe(tmp_path, epochs=2, name="other")
    assert main(["train", str(tiny_recipe), "--data", str(tmp_path / "other.csv"), "--quiet",
                 "--run-dir", str(runs / "tiny-on-other")]) == 0
    assert other.is_file()
    out = tmp_path / "report"
    assert main(["compare", str(runs / "tiny-2"), str(runs / "tiny-3"),
                 str(runs / "tiny-on-other"), "--out", str(out)]) == 0
    table = [line for line in (out / "report.md").read_text().splitlines()
             if line.startswith("| tiny-")]
    assert len(table) == 3
    assert "--set train.epochs=2" in table[0] and "--set train.epochs=3" in table[1]
    assert "0.9" in table[0].split("|")[-3]                       # the recipe's own figure
    assert table[2].split("|")[-3].strip() == "—"                 # not beside other data
    assert "--data" in table[2]
