"""`rnnkit train --resume`: a run killed (kill -9) at any moment, stopped by Ctrl-C or by a full
disk continues, and ends with the model and history of the same run left uninterrupted — bit for
bit on the NumPy engine. What cannot continue is refused in one line.

The kills use the test hook ``RNNKIT_FAULT`` (src/rnnkit/faults.py): the child process sends
itself SIGKILL at a named point, as ``kill -9`` would from outside.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnkit.callbacks import Callback
from rnnkit.cli import main
from rnnkit.models import load_model
from rnnkit.saving import backup
from rnnkit.workflow import recipes
from rnnkit.workflow.train import train_run

from .conftest import write_recipe

#: the tiny recipe (144 training texts, batches of 16: 9 batches an epoch), with dropout and
#: recurrent dropout drawing masks, early stopping watching a loss that keeps improving
SETS = ["--set", "train.epochs=4", "--set", "train.monitor=val_loss",
        "--set", "train.early_stopping=true", "--set", "train.patience=2",
        "--set", "model.layers.1.dropout=0.2", "--set", "model.layers.1.recurrent_dropout=0.3"]
STEPS = 4 * 9


def _train(args: list[str], fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RNNKIT_FAULT"}
    if fault:
        env["RNNKIT_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "rnnkit", "train", *args, "--quiet"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> Path:
    return write_recipe(tmp_path_factory.mktemp("recipe"), epochs=4)


@pytest.fixture(scope="module")
def uninterrupted(recipe, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("uninterrupted") / "run"
    done = _train([str(recipe), *SETS, "--run-dir", str(run)])
    assert done.returncode == 0, done.stderr
    return run


def assert_same_run(run: Path, reference: Path) -> None:
    """Same history (every logged value; the seconds aside), the same best model and optimizer
    state bit for bit, the same test metrics; no backup or temporary file left."""
    def rows(path):
        return [line.rsplit(",", 1)[0] for line in (path / "history.csv").read_text().splitlines()]

    assert rows(run) == rows(reference)
    model, ref = load_model(run / "model.keras"), load_model(reference / "model.keras")
    for a, b in zip(model.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, ref.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)
    metrics, ref_metrics = (json.loads((p / "metrics.json").read_text()) for p in (run, reference))
    assert metrics["status"] == "finished"
    for key in ("test_loss", "test_accuracy", "epochs_run", "best_epoch", "confusion_matrix"):
        assert metrics[key] == ref_metrics[key], key
    assert not (run / "backup").exists() and not list(run.rglob("*.tmp"))


def _random_steps(n: int, seed: int = 16) -> list[int]:
    """Kill moments inside epochs, drawn once (printed in the test ids)."""
    return sorted(np.random.default_rng(seed).choice(np.arange(2, STEPS), n, replace=False))


KILLS = [*((f"kill:step@{s}", every) for s, every in zip(_random_steps(2), (0, 4))),
         ("kill:write:backup-*@2", 0),          # inside a backup write (not yet in place)
         ("kill:backup:written@3", 4),          # a backup in place, the old not yet pruned
         ("kill:write:model.keras@2", 4),       # inside the best-model write
         ("kill:write:vocabulary.json", 0)]     # before training began (config.json written)


@pytest.mark.parametrize("fault, every", KILLS)
def test_a_run_killed_at_any_moment_resumes_to_the_same_model(tmp_path, recipe, uninterrupted,
                                                              fault, every):
    run = tmp_path / "run"
    killed = _train([str(recipe), *SETS, "--run-dir", str(run), "--backup-every", str(every)],
                    fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (run / "metrics.json").exists()                    # nothing ran after the kill
    resumed = _train(["--resume", str(run), "--backup-every", str(every)])
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming {run} at " in resumed.stdout
    assert_same_run(run, uninterrupted)
    log = (run / "train.log").read_text()
    before = 0 if "vocabulary" in fault else 1                   # lines the killed run logged
    assert log.count("recipe tiny:") == before + 1 and "resumed: continuing at" in log


# ---- a full disk -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fault, intact", [("enospc:write:backup-*@3", "backup"),
                                           ("enospc:write:model.keras@2", "model")])
def test_a_full_disk_ends_the_run_in_one_line_and_resume_continues(tmp_path, recipe,
                                                                   uninterrupted, fault, intact):
    run = tmp_path / "run"
    full = _train([str(recipe), *SETS, "--run-dir", str(run)], fault)
    assert full.returncode == 2
    (line,) = full.stderr.strip().splitlines()
    target = run / "backup" / "backup-000003.zip" if intact == "backup" else run / "model.keras"
    assert line == (f"rnnkit train: error: the disk at / is full (no space left writing "
                    f"{target}); the last backup and the best model are intact — free some "
                    f"space, then continue with: rnnkit train --resume {run}")
    kept = backup.numbered(run / "backup")
    assert [backup.read(p).sequence for p in kept] == ([2, 1] if intact == "backup" else [1])
    assert load_model(run / "model.keras").count_params() > 0     # the previous best, whole
    assert not list(run.rglob("*.tmp"))
    assert json.loads((run / "metrics.json").read_text())["status"] == "failed"
    resumed = _train(["--resume", str(run)])                       # space freed: no fault now
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(run, uninterrupted)


class FillTheDisk(Callback):
    """At the end of epoch ``epoch``, fill the filesystem of ``folder`` up: the backup of that
    epoch (written after every other callback) meets a real ENOSPC."""

    def __init__(self, folder: Path, epoch: int):
        super().__init__()
        self.folder, self.epoch = folder, epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch != self.epoch:
            return
        with open(self.folder / "filler", "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs (needs root); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}); the injected ENOSPC "
                    f"test covers the same path")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_real_full_disk_keeps_the_last_backup_and_the_run_continues(tmp_path, small_disk,
                                                                        recipe):
    config = recipes.load(str(recipe), [s for s in SETS if s != "--set"])
    reference = tmp_path / "reference"
    reference.mkdir()
    train_run(config, reference, verbose=0)
    run = small_disk / "run"
    run.mkdir()
    with pytest.raises(Exception) as caught:
        train_run(config, run, verbose=0, extra_callbacks=[FillTheDisk(small_disk, epoch=1)])
    message = str(caught.value)
    assert type(caught.value).__name__ == "DiskFullError" and "\n" not in message
    assert message.startswith(f"the disk at {small_disk} is full (no space left writing "
                              f"{run / 'backup'}/backup-000002.zip)")
    assert [backup.read(p).sequence for p in backup.numbered(run / "backup")] == [1]
    (small_disk / "filler").unlink()                               # free the space
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert_same_run(run, reference)


# ---- Ctrl-C, a longer run, damaged backups --------------------------------------------------------
class InterruptAt(Callback):
    """Ctrl-C (KeyboardInterrupt) after the ``batch``-th batch of the fit."""

    def __init__(self, batch: int):
        super().__init__()
        self.batch, self.seen = batch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batch:
            raise KeyboardInterrupt


def _interrupted(tmp_path, recipe, batch=14, sets=SETS) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    config = recipes.load(str(recipe), [s for s in sets if s != "--set"])
    assert train_run(config, run, verbose=0, extra_callbacks=[InterruptAt(batch)]).interrupted
    return run


def _reference(tmp_path, recipe, sets=SETS) -> Path:
    run = tmp_path / "reference"
    run.mkdir()
    train_run(recipes.load(str(recipe), [s for s in sets if s != "--set"]), run, verbose=0)
    return run


def test_ctrl_c_then_resume_ends_as_uninterrupted(tmp_path, recipe, capsys):
    run = _interrupted(tmp_path, recipe)
    assert json.loads((run / "metrics.json").read_text())["status"] == "interrupted"
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert f"Resuming {run} at epoch 2" in capsys.readouterr().out
    assert_same_run(run, _reference(tmp_path, recipe))


def test_train_epochs_may_grow_and_the_run_ends_as_a_longer_one_would(tmp_path, recipe):
    run = _interrupted(tmp_path, recipe, batch=20)
    assert main(["train", "--resume", str(run), "--set", "train.epochs=6", "--quiet"]) == 0
    longer = [*SETS, "--set", "train.epochs=6"]
    assert_same_run(run, _reference(tmp_path, recipe, longer))
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 6


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_damaged_newest_backup_is_noted_and_the_one_before_continues(tmp_path, recipe,
                                                                        capsys):
    run = _interrupted(tmp_path, recipe, batch=30)
    newest, older = backup.numbered(run / "backup")
    epoch = backup.read(older).state["loop"]["epoch"] + 1
    _flip(newest)
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"note: {newest.name}" in out and "continuing from the backup before it" in out
    assert f"at epoch {epoch}" in out
    assert_same_run(run, _reference(tmp_path, recipe))


def _fails(argv, capsys, *needles) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


def test_every_backup_damaged_is_one_line(tmp_path, recipe, capsys):
    run = _interrupted(tmp_path, recipe, batch=30)
    for path in backup.numbered(run / "backup"):
        path.write_bytes(path.read_bytes()[:100])
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    _fails(["train", "--resume", str(run)], capsys, f"--resume {run}:", "holds no intact backup",
           "truncated or corrupt")
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


# ---- refused ----------------------------------------------------------------------------------------
def test_resume_refuses_what_cannot_continue(tmp_path, recipe, capsys, trained_run):
    _fails(["train", "--resume", str(tmp_path)], capsys,
           f"--resume {tmp_path}: not a run directory (no config.json)")
    _fails(["train", "--resume", str(trained_run)], capsys,
           f"--resume {trained_run}: the run finished", "train a new one")
    run = _interrupted(tmp_path, recipe, batch=20)                 # 2 epochs done
    _fails(["train", "--resume", str(run), "--set", "train.batch_size=8",
            "--set", "model.layers.1.units=7"], capsys,
           "the config differs from the run's in model.layers.1.units (6 → 7), "
           "train.batch_size (16 → 8)", "only train.epochs, description and reported.*")
    _fails(["train", str(recipe), "--resume", str(run)], capsys,   # the recipe, without SETS
           "the config differs from the run's in model.layers.1.dropout (0.2 → unset)")
    _fails(["train", "--resume", str(run), "--set", "train.epochs=1"], capsys,
           "--set train.epochs=1: the run has already trained 2 epochs; ask for 2 or more")
    _fails(["train", "--resume", str(run), "--run-dir", str(tmp_path / "x")], capsys,
           "continues that run in its own folder; drop --run-dir")
    if importlib.util.find_spec("torch") is not None:
        _fails(["train", "--resume", str(run), "--engine", "torch", "--device", "cpu"], capsys,
               "the run trained on the numpy engine; continue it with --engine numpy")
    _fails(["train", str(recipe), *SETS, "--run-dir", str(run)], capsys,
           "already holds a run (interrupted)", f"continue it with --resume {run}")
    (run / "backup").rename(tmp_path / "gone")
    _fails(["train", "--resume", str(run)], capsys, "has finished epochs but no backup")


def test_a_run_killed_before_its_first_backup_starts_again(tmp_path, recipe, uninterrupted):
    run = tmp_path / "run"
    killed = _train([str(recipe), *SETS, "--run-dir", str(run)], "kill:step@3")
    assert killed.returncode == -signal.SIGKILL
    assert (run / "backup").is_dir() and not backup.numbered(run / "backup")
    resumed = _train(["--resume", str(run)])
    assert resumed.returncode == 0 and "at the first epoch (no backup" in resumed.stdout
    assert_same_run(run, uninterrupted)


def test_backups_are_checksummed_archives(tmp_path, recipe):
    run = _interrupted(tmp_path, recipe, batch=14)
    (newest,) = backup.numbered(run / "backup")
    with zipfile.ZipFile(newest) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        state = json.loads(zf.read("state.json"))
    assert manifest["format"] == "rnnkit-backup" and len(manifest["files"]["state.json"]) == 64
    assert set(state["callbacks"]) == {"ModelCheckpoint", "EarlyStopping", "HistoryFile",
                                       "History"}
    assert state["engine"] == "numpy" and state["loop"] == {
        "epoch": 1, "step": 0, "steps": 9, "shuffle": state["loop"]["shuffle"],
        "stop_training": False}


# ---- the torch engine, data-parallel ------------------------------------------------------------
DDP = ["--set", "train.epochs=3", "--set", "model.layers.1.dropout=0.2",
       "--set", "model.layers.1.recurrent_dropout=0.2", "--engine", "torch", "--device", "cpu",
       "--nproc", "2"]


def test_a_killed_ddp_run_resumes_on_two_processes_to_the_same_model(tmp_path, tiny_recipe):
    pytest.importorskip("torch")
    reference, run = tmp_path / "reference", tmp_path / "run"
    assert _train([str(tiny_recipe), *DDP, "--run-dir", str(reference)]).returncode == 0
    _train([str(tiny_recipe), *DDP, "--run-dir", str(run)], "kill:step@13")   # both ranks
    assert not (run / "metrics.json").exists()
    assert [p.name for p in (run / "backup").iterdir()] == ["backup-000001.zip"]   # rank 0's
    done = _train(["--resume", str(run), *DDP[6:]])      # the engine flags
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("Resuming") == 1                           # rank 1 says nothing
    assert_same_run(run, reference)


def test_a_new_run_never_continues_a_backup_left_in_its_folder(tmp_path, recipe):
    run = _interrupted(tmp_path, recipe, batch=20)
    assert backup.numbered(run / "backup")
    config = recipes.load(str(recipe), [s for s in SETS if s != "--set"])
    train_run(config, run, verbose=0)                  # not resumed: starts from scratch
    assert_same_run(run, _reference(tmp_path, recipe))


def test_the_continue_hint_is_a_command_that_resumes_the_run(tmp_path, recipe, capsys):
    """After Ctrl-C the summary prints the command that continues the run (with the engine flags
    it must repeat), and lists only the files that exist."""
    import shlex

    from rnnkit.workflow import commands
    from rnnkit.workflow.train import TrainResult

    run = _interrupted(tmp_path, recipe, batch=3)             # inside epoch 1: no model yet
    metrics = json.loads((run / "metrics.json").read_text())
    commands._report_run(TrainResult(run, metrics, interrupted=True))
    out = capsys.readouterr().out
    (hint,) = [line.split(":", 1)[1].strip() for line in out.splitlines()
               if line.startswith("Continue:")]
    assert hint == f"rnnkit train --resume {run}"
    assert "Model:" not in out and "Try:" not in out and f"Run:    {run}" in out
    assert main([*shlex.split(hint)[1:], "--quiet"]) == 0
    assert_same_run(run, _reference(tmp_path, recipe))


def test_the_continue_hint_names_the_engine_and_processes_of_the_run(tmp_path, capsys):
    from rnnkit.workflow import commands, runs
    from rnnkit.workflow.train import TrainResult

    assert runs.resume_command(tmp_path) == f"rnnkit train --resume {tmp_path}"
    metrics = {"engine": "torch", "processes": 2, "epochs_run": 1}
    commands._report_run(TrainResult(tmp_path, metrics, interrupted=True))
    assert f"Continue:  rnnkit train --resume {tmp_path} --engine torch --nproc 2" in \
        capsys.readouterr().out
