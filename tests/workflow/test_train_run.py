"""`rnnkit train` writes a complete run directory; runs are deterministic; Ctrl-C keeps a usable run."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from rnnkit.callbacks import Callback
from rnnkit.cli import main
from rnnkit.models import load_model
from rnnkit.workflow import recipes, runs
from rnnkit.workflow.train import train_run

from .conftest import write_recipe

RUN_FILES = ("config.json", "model.keras", "vocabulary.json", "history.csv", "curves.png",
             "summary.txt", "metrics.json", "train.log", "classes.json")


def test_run_directory_holds_every_file(trained_run, capsys):
    for name in RUN_FILES:
        assert (trained_run / name).is_file(), name
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3 and metrics["best_epoch"] in (1, 2, 3)
    assert metrics["test_accuracy"] > 0.8          # the signal words make the task easy
    assert np.array(metrics["confusion_matrix"]).sum() == metrics["examples"]["test"] == 60
    assert set(metrics["per_class"]) == {"Negative", "Positive"}   # the recipe's display names
    assert metrics["class_names"] == ["neg", "pos"] and metrics["status"] == "finished"
    assert (trained_run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(trained_run / "history.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3]
    config = json.loads((trained_run / "config.json").read_text())
    assert config["train"]["epochs"] == 3 and config["data"]["source"] == "file"
    assert "Total params" in (trained_run / "summary.txt").read_text()
    assert "test accuracy" in (trained_run / "train.log").read_text()


class WeightsEveryEpoch(Callback):
    """A copy of the model's weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([np.array(w, copy=True) for w in self.model.get_weights()])


def test_the_saved_model_is_the_best_epoch(tmp_path, tiny_recipe):
    config = recipes.load(str(tiny_recipe), ["train.epochs=6"])
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    epochs = WeightsEveryEpoch()
    train_run(config, run_dir, verbose=0, extra_callbacks=[epochs])
    with open(run_dir / "history.csv") as f:
        val = [float(r["val_accuracy"]) for r in csv.DictReader(f)]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    best = metrics["best_epoch"]
    # The recipe reaches its best validation accuracy before the last epoch (here 1.0 at epoch 2
    # and never better later), and the weights went on changing: saving every epoch, or the
    # last one, would leave a different model.keras.
    assert len(val) == len(epochs.weights) == 6
    assert val[best - 1] == max(val) > max(val[:best - 1], default=-1.0) and best < 6, val
    assert metrics["best_val_accuracy"] == pytest.approx(val[best - 1])
    last, kept = epochs.weights[-1], epochs.weights[best - 1]
    assert any(not np.array_equal(a, b) for a, b in zip(kept, last))

    saved = load_model(run_dir / "model.keras").get_weights()
    assert len(saved) == len(kept)
    for i, (a, b) in enumerate(zip(saved, kept)):
        np.testing.assert_array_equal(a, b, err_msg=f"weight {i} of model.keras is not epoch {best}'s")


def test_multiclass_run_reports_per_class_figures(tmp_path):
    recipe = write_recipe(tmp_path, classes=("neg", "meh", "pos"), epochs=4, name="three")
    assert main(["train", str(recipe), "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    matrix = np.array(metrics["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix.sum() == metrics["examples"]["test"]
    assert metrics["class_names"] == ["meh", "neg", "pos"]  # the custom loader sorts names
    assert set(metrics["per_class"]["meh"]) == {"precision", "recall", "f1", "support"}


def test_same_seed_gives_the_same_run(tmp_path, tiny_recipe):
    histories = []
    for i in range(2):
        run_dir = tmp_path / f"run{i}"
        run_dir.mkdir()
        train_run(recipes.load(str(tiny_recipe)), run_dir, verbose=0)
        histories.append((run_dir / "history.csv").read_text().splitlines())
    strip = lambda lines: [line.rsplit(",", 1)[0] for line in lines]  # drop the seconds column
    assert strip(histories[0]) == strip(histories[1])


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (what Ctrl-C raises) in the middle of an epoch."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch, self.current = epoch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == 2:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_best_checkpoint_and_finished_epochs(tmp_path, tiny_recipe):
    config = recipes.load(str(tiny_recipe), ["train.epochs=6"])
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = train_run(config, run_dir, verbose=0, extra_callbacks=[InterruptAt(epoch=3)])
    assert result.interrupted
    with open(run_dir / "history.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3]  # epoch 4 never ended
    model = load_model(run_dir / "model.keras")                            # usable
    x = runs.Run.open(run_dir).encoder().encode(["a good great film", "a bad dull plot"])
    assert model.predict(x, verbose=0).shape == (2, 1)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["interrupted"] and metrics["epochs_run"] == 3
    assert not list(run_dir.glob("*.tmp"))                                 # no half-written files


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "metrics.json"
    runs.atomic_write_json(target, {"a": 1})

    with pytest.raises(TypeError):
        runs.atomic_write_json(target, {"a": object()})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
