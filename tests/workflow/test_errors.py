"""Bad input: one line naming the problem and the fix, exit status ≠ 0."""

from __future__ import annotations

import json

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


@pytest.mark.parametrize("item, needle", [("model.layers.1.units=-1", "units must be a positive"),
                                          ("model.layers.1.dropout=2", "dropout must be a float")])
def test_a_layer_argument_out_of_range_names_the_layer(capsys, tiny_recipe, item, needle):
    _fails(["summary", str(tiny_recipe), "--set", item], capsys, "model.layers.1", needle)


@pytest.mark.parametrize("damage", [b"not a zip file", b""])
def test_a_damaged_model_file_in_a_run_is_one_line(capsys, trained_run, damage):
    (trained_run / "model.keras").write_bytes(damage)
    _fails(["evaluate", str(trained_run)], capsys, "model.keras", "train the run again")
    _fails(["predict", str(trained_run), "a fine film"], capsys, "model.keras")


def test_run_directory_without_a_model(capsys, tmp_path):
    (tmp_path / "half").mkdir()
    _fails(["predict", str(tmp_path / "half"), "some text"], capsys, "no model.keras",
           "rnnkit train")
    _fails(["evaluate", str(tmp_path / "nowhere")], capsys, "not a run directory")


def test_an_empty_text_gets_its_own_row_and_a_failing_exit_code(capsys, trained_run):
    capsys.readouterr()
    assert main(["predict", str(trained_run), "fine film", "  "]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("(empty text: nothing to classify)")
    assert "1 empty text(s) not classified (argument 2)" in captured.err


def test_dataset_classes_do_not_match_the_model(capsys, trained_run, tmp_path):
    three = write_reviews(tmp_path / "three.csv", classes=("neg", "meh", "pos"), n=30)
    _fails(["evaluate", str(trained_run), "--data", str(three)], capsys,
           "has labels ['meh'] that are not the model's classes ['neg', 'pos']")


def test_nproc_needs_the_torch_engine(capsys, tiny_recipe):
    _fails(["train", str(tiny_recipe), "--nproc", "2"], capsys, "--engine torch")


# ---- every bad value: one line, exit 2, and no run directory ---------------------------------------
@pytest.mark.parametrize("args, needles", [
    (["--set", "train.optimizer=adamw"], ["--set train.optimizer", "unknown optimizer 'adamw'"]),
    (["--set", "data.source=csv"], ["--set data.source", "unknown value 'csv'", "'file'"]),
    (["--set", "train.monitor=val_f1"], ["--set train.monitor", "val_accuracy"]),
    (["--set", "train.loss=hinge"], ["--set train.loss", "unknown loss"]),
    (["--set", "data.test_split=1.5"], ["--set data.test_split", "between 0 and 1"]),
    (["--set", "train.epochs=0"], ["--set train.epochs", "at least 1"]),
    (["--device", "cuda"], ["--device needs the torch engine", "--engine torch"]),
    (["--engine", "torch", "--device", "cuda:7"], ["--device cuda:7", "no CUDA device"]),
    (["--engine", "torch", "--device", "tpu"], ["--device tpu"]),
    (["--nproc", "0", "--engine", "torch"], ["--nproc 0", "positive"]),
    (["--data", "no-such.csv"], ["--data no-such.csv: no such file"]),
    (["--data", "{csv}", "--text-column", "review"], ["no column 'review'", "--text-column"]),
    (["--data", "{csv}", "--label-column", "y"], ["no column 'y'", "--label-column"]),
    (["--data", "{csv}", "--encoding", "klingon"], ["--encoding", "unknown text encoding"]),
    (["--data", "{txt}"], ["cannot tell its format", "--format"]),
    (["--test-data", "{csv}"], ["--test-data applies to your own data files", "--data FILE"]),
    (["--data", "{csv}", "--set", "data.class_names={{a = 'x'}}"], ["data.class_names"]),
    (["--data", "{csv}", "--set", "data.class_names={{neg = 'x', pos = 'x'}}"],
     ["gives ['x'] to more than one label"]),
    (["--set", "model.layers=3"], ["--set model.layers", "not a list of layer tables"]),
    (["--data", "{csv}", "--format", "tsv"], ["reads as one column", "--format csv"]),
    (["--data", "{csv}", "--set", "data.classes=['neg']"],
     ["labels ['pos'] are not among the classes ['neg']", "--set data.classes="]),
    (["--data", "{csv}", "--set", "data.classes=['neg', 'neg']"], ["name a class twice"]),
    (["--data", "{three}"], ["ends in 1 unit(s) but the data has 3 classes",
                             "--set model.layers.3.units=classes"]),
    (["--data", "{csv}", "--test-data", "{three}"],
     ["labels ['meh'] are not among the classes ['neg', 'pos']", "the training file"]),
    (["--data", "{listlabel}"], ["line 2: the label is a list"]),
])
def test_bad_values_stop_before_any_run_directory(tmp_path, capsys, args, needles):
    csv_file = write_reviews(tmp_path / "d.csv", n=40)
    txt_file = tmp_path / "d.txt"
    txt_file.write_text("text,label\n")
    three = write_reviews(tmp_path / "three.csv", classes=("neg", "meh", "pos"), n=30)
    listlabel = tmp_path / "l.jsonl"
    listlabel.write_text('{"text": "a b", "label": "x"}\n{"text": "c d", "label": ["y"]}\n')
    recipe = ["bigru"] if args == ["--data", "{three}"] else []  # ends in Dense(1, sigmoid)
    args = [a.format(csv=csv_file, txt=txt_file, three=three, listlabel=listlabel) for a in args]
    err = _fails(["train", *recipe, *args, "--runs-dir", str(tmp_path / "runs")], capsys,
                 *needles)
    assert "=" not in err.split("error:")[1].replace("--set ", "").split()[0], err  # no keyword=
    assert not (tmp_path / "runs").exists()


def test_a_finished_run_is_never_trained_over(tmp_path, capsys, tiny_recipe, trained_run):
    before = {p.name: p.read_bytes() for p in trained_run.iterdir()}
    _fails(["train", str(tiny_recipe), "--run-dir", str(trained_run)], capsys,
           f"--run-dir {trained_run} already holds a run (finished)", "--overwrite")
    assert {p.name: p.read_bytes() for p in trained_run.iterdir()} == before
    (trained_run / "notes.txt").write_text("mine")
    assert main(["train", str(tiny_recipe), "--run-dir", str(trained_run), "--overwrite",
                 "--quiet", "--set", "train.epochs=2"]) == 0
    assert json.loads((trained_run / "metrics.json").read_text())["epochs_run"] == 2
    log = (trained_run / "train.log").read_text()
    assert log.count("recipe tiny:") == 1                         # a new log, not appended
    assert (trained_run / "notes.txt").read_text() == "mine"      # not a run file: kept


def test_a_run_that_fails_after_it_started_says_so(tmp_path, tiny_recipe):
    from rnnkit.callbacks import Callback
    from rnnkit.workflow import recipes
    from rnnkit.workflow.train import train_run

    class Broken(Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("disk on fire")

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with pytest.raises(RuntimeError, match="disk on fire"):
        train_run(recipes.load(str(tiny_recipe)), run_dir, verbose=0,
                  extra_callbacks=[Broken()])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "disk on fire" in metrics["error"]
    assert "failed: RuntimeError: disk on fire" in (run_dir / "train.log").read_text()
    _refused = pytest.raises(Exception, match=r"already holds a run \(failed\)")
    from rnnkit.workflow.runs import prepare_run_dir
    with _refused:
        prepare_run_dir(run_dir, overwrite=False)


def test_an_internal_bug_keeps_its_traceback(monkeypatch):
    from rnnkit.workflow import commands

    def broken(args):
        raise ValueError("a bug, not the user's fault")

    monkeypatch.setitem(commands.COMMANDS, "recipes", broken)
    with pytest.raises(ValueError, match="a bug"):
        main(["recipes"])


def test_debug_shows_the_traceback_of_a_user_error(capsys, monkeypatch):
    from rnnkit.workflow.recipes import RecipeError
    with pytest.raises(RecipeError):
        main(["train", "no-such-recipe", "--debug"])
    monkeypatch.setenv("RNNKIT_DEBUG", "1")
    with pytest.raises(RecipeError):
        main(["summary", "no-such-recipe"])


def test_a_data_parallel_run_checks_its_data_before_any_folder(tmp_path, capfd, tiny_recipe):
    """The processes meet the mistake (capfd: they write to the file descriptors); rank 0 alone
    says it, in one line, and no folder is made."""
    pytest.importorskip("torch")
    _fails(["train", str(tiny_recipe), "--engine", "torch", "--nproc", "2",
            "--text-column", "body", "--runs-dir", str(tmp_path / "runs")], capfd,
           "no column 'body'", "--text-column")
    assert not (tmp_path / "runs").exists()
