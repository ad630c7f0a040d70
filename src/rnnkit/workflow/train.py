"""``rnnkit train``: a resolved recipe → a finished run directory (see runs.py for its files).

Order of work: everything is checked, loaded and built first (``plan_run``: a bad value, file,
column or class name stops here, before the run directory exists); then config, log,
vocabulary and classes are written; during fit the best checkpoint and history.csv are rewritten atomically after every
epoch, so Ctrl-C leaves a usable model and the history up to the last finished epoch; at the
end the best checkpoint is evaluated on the test set and the plots and metrics are written. A run
that fails after it started says so in train.log and in metrics.json (``status: failed``).
In a data-parallel run every process trains, rank 0 alone writes.

A BackupAndRestore callback backs the whole training state up into ``backup/`` at every epoch's
end (or every ``backup_every`` batches), so an unfinished run — stopped by Ctrl-C, an error, a full
disk, ``kill -9`` or a reboot — continues with ``rnnkit train --resume`` (resume.py) exactly where
its last backup was taken; the backup is deleted once the run finished. A full disk ends the run
with one line naming the disk (disk_full.py).
"""

from __future__ import annotations

import csv
import io
import logging
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..callbacks import BackupAndRestore, Callback, EarlyStopping, ModelCheckpoint
from ..data import sources
from ..engines.process_rank import is_writer, world_size
from ..kernels import warmup
from ..saving import backup
from ..saving.training_state import BackupWarning
from . import plots, runs
from .build import build_model
from .data import PreparedData, input_shape, prepare
from .disk_full import disk_full_error
from .evaluation import classification_report
from .interrupt import DeferredInterrupt
from .resume import Resumable
from .validate import check_config

log = logging.getLogger("rnnkit.workflow")


@dataclass
class TrainResult:
    """Where a run is and how it ended."""

    run_dir: Path
    metrics: dict
    interrupted: bool


class HistoryFile(Callback):
    """Rewrite history.csv after every epoch (atomically) and log the epoch with its time."""

    def __init__(self, path: Path):
        super().__init__()
        self.path, self.rows, self._start = path, [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        self.rows.append({"epoch": epoch + 1, **(logs or {}), "seconds": seconds})
        if is_writer():
            runs.atomic_write_text(self.path, history_csv(self.rows))
        shown = " - ".join(f"{k}: {v:.4f}" for k, v in sorted((logs or {}).items()))
        log.info("epoch %d: %s (%.1f s)", epoch + 1, shown, seconds)

    def get_state(self):
        return {"rows": self.rows}

    def set_state(self, state):
        self.rows = [dict(row) for row in state["rows"]]

    def history(self) -> dict[str, list[float]]:
        keys = [k for k in self.rows[0] if k != "epoch"] if self.rows else []
        return {k: [float(r.get(k, np.nan)) for r in self.rows] for k in keys}


def history_csv(rows: list[dict]) -> str:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv back as columns of floats (epoch excluded)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows] for k in keys}


def best_epoch(history: dict[str, list[float]], monitor: str) -> int | None:
    """1-based epoch of the best ``monitor`` value (max for accuracy, min for loss)."""
    values = history.get(monitor)
    if not values:
        return None
    pick = np.nanargmax if "acc" in monitor else np.nanargmin
    return int(pick(values)) + 1


class _RunLog(logging.FileHandler):
    """train.log, appended to; a line the disk has no room for is dropped without a traceback
    (the run then ends with the one-line full-disk error, which says why)."""

    def handleError(self, record):
        if not isinstance(sys.exc_info()[1], OSError):
            super().handleError(record)


def _log_to(run_dir: Path) -> logging.Handler:
    handler = _RunLog(run_dir / runs.LOG, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


@dataclass
class Plan:
    """A run checked, loaded and built, before anything of it is written."""

    config: dict
    data: PreparedData
    model: object
    engine: str
    seconds: float                  # spent loading and encoding the data


def plan_run(config: dict, engine: str = "numpy", engine_options=None,
             data: PreparedData | None = None, warm_up: bool = True) -> Plan:
    """Check every value of ``config``, load and encode its data, build its model; the model's
    compiled loops are compiled meanwhile (``warm_up``, see kernels/warmup.py)."""
    check_config(config)
    config = with_absolute_paths(config)
    # the model's kernels compile in a helper process while the data loads (kernels/warmup.py)
    warm = warmup.start(config) if warm_up and engine == "numpy" and data is None else None
    try:
        started = time.perf_counter()
        data = data or prepare(config["data"])
        seconds = time.perf_counter() - started
        model = build_model(config, input_shape(config["data"]), len(data.classes.values),
                            engine, text_layer=data.encoder, **(engine_options or {}))
        model.metadata.update(classes=data.classes.to_dict(), recipe=config["name"])
    except BaseException:
        if warm is not None:
            warm.cancel()
        raise
    if warm is not None:
        warm.wait()
    return Plan(config, data, model, engine, seconds)


def with_absolute_paths(config: dict) -> dict:
    """``config`` with its data files' paths absolute, so that the run's config.json, and
    ``evaluate`` on the run, work from any folder."""
    data = dict(config["data"])
    for key in sources.get(data["source"]).file_keys:
        if data[key]:
            data[key] = str(Path(data[key]).absolute())
    return {**config, "data": data}


def train_run(config: dict, run_dir: Path, *, engine: str = "numpy", engine_options=None,
              verbose: int | str = "auto", extra_callbacks=(), data: PreparedData | None = None,
              plan: Plan | None = None, overrides: tuple[str, ...] = (), backup_every: int = 0,
              resumed: Resumable | None = None) -> TrainResult:
    """Train ``config`` into ``run_dir`` (which exists); returns the run and its metrics.

    ``plan`` (from ``plan_run``) saves loading and building again; ``overrides`` are recorded
    in metrics.json so a report can say how the run differs from its recipe. ``backup_every``:
    back up every that many batches (0: at every epoch's end). ``resumed``: the unfinished run
    in ``run_dir`` (resume.open_run), which continues from its newest backup.
    """
    plan = plan or plan_run(config, engine, engine_options, data)
    if is_writer():     # first: a folder holding any run file then holds a run --resume opens
        runs.atomic_write_json(run_dir / runs.CONFIG, plan.config)
    handler = _log_to(run_dir) if is_writer() else None
    try:
        return _train(plan, run_dir, verbose, list(extra_callbacks), list(overrides),
                      backup_every, resumed)
    except Exception as e:
        log.error("failed: %s: %s", type(e).__name__, e)
        _record_failure(run_dir, config, engine, overrides, e)
        full = disk_full_error(e, run_dir)
        if full is not None:
            raise full from None
        raise
    finally:
        if handler is not None:
            log.removeHandler(handler)
            handler.close()


def _record_failure(run_dir, config, engine, overrides, error) -> None:
    """metrics.json ``status: failed``, if the disk still takes it (a full one may not)."""
    if not is_writer():
        return
    try:
        runs.atomic_write_json(run_dir / runs.METRICS, {
            "status": "failed", "error": f"{type(error).__name__}: {error}",
            "recipe": config["name"], "engine": engine, "overrides": list(overrides)})
    except OSError as e:
        log.error("metrics.json not written: %s", e)


def _train(plan: Plan, run_dir, verbose, extra_callbacks, overrides, backup_every,
           resumed) -> TrainResult:
    config, data, model, writer = plan.config, plan.data, plan.model, is_writer()
    if writer:
        if resumed is None:     # a new run never continues another's backup
            backup.remove_all(run_dir / runs.BACKUP)
        # made before training starts: a run with it and no backup in it yet has none to lose
        # (resume.open_run starts such a run again), one without it predates --resume
        (run_dir / runs.BACKUP).mkdir(exist_ok=True)
        runs.atomic_write_json(run_dir / runs.VOCABULARY, data.encoder.to_dict())
        runs.atomic_write_json(run_dir / runs.CLASSES, data.classes.to_dict())
        runs.atomic_write_text(run_dir / runs.SUMMARY, _summary_text(model))
    log.info("recipe %s: %s", config["name"], config["description"])
    log.info("data %s: %d train, %s validation, %d test examples from %s; classes %s (%.1f s)",
             config["data"]["source"], len(data.train.y),
             len(data.validation.y) if data.validation else "last "
             f"{config['data']['validation_split']:.0%} of train as", len(data.test.y),
             data.test_source, _shown(data.classes), plan.seconds)
    if resumed is not None:
        _note_resume(resumed, run_dir)
    started = time.perf_counter()
    history_file = HistoryFile(run_dir / runs.HISTORY)
    interrupted = _fit(model, config, data, run_dir, [history_file, *extra_callbacks], verbose,
                       backup_every)
    history = history_file.history()
    if not writer:
        return TrainResult(run_dir, {}, interrupted)
    metrics = _finish(plan, run_dir, history, interrupted, overrides)
    if not interrupted:
        backup.remove_all(run_dir / runs.BACKUP)    # finished: nothing left to continue
    log.info("finished in %.1f s", time.perf_counter() - started)
    return TrainResult(run_dir, metrics, interrupted)


def _note_resume(resumed: Resumable, run_dir: Path) -> None:
    """Log where the run continues; clear the temporary files a killed process left."""
    for problem in resumed.problems:
        _say_and_log(f"note: {problem}; continuing from the backup before it")
    log.info("resumed: continuing at %s%s", resumed.position,
             f" from {resumed.backup.path.name}" if resumed.backup else "")
    if is_writer():
        for tmp in run_dir.glob(".*.tmp"):          # atomic_path's, from a write cut short
            tmp.unlink(missing_ok=True)
        backup.remove_temporary(run_dir / runs.BACKUP)


def _shown(classes) -> str:
    pairs = zip(classes.values, classes.names)
    return ", ".join(v if v == n else f"{v} ({n})" for v, n in pairs)


def _callbacks(config: dict, run_dir: Path, backup_every: int = 0) -> list[Callback]:
    train = config["train"]
    callbacks: list[Callback] = [ModelCheckpoint(str(run_dir / runs.MODEL),
                                                 monitor=train["monitor"], save_best_only=True)]
    if train["early_stopping"]:
        callbacks.append(EarlyStopping(monitor=train["monitor"], patience=train["patience"],
                                       restore_best_weights=train["restore_best_weights"]))
    # kept when fit ends (Keras would delete it): _train deletes it once the run is finished
    callbacks.append(BackupAndRestore(run_dir / runs.BACKUP, save_freq=backup_every or "epoch",
                                      delete_checkpoint=False))
    return callbacks


def _fit(model, config, data, run_dir, extra, verbose, backup_every=0) -> bool:
    """Fit; True when stopped by Ctrl-C (the checkpoint and history.csv are already on disk)."""
    train = config["train"]
    validation = (data.validation.x, data.validation.y) if data.validation else None
    callbacks = _callbacks(config, run_dir, backup_every)
    try:
        with DeferredInterrupt() as interrupt, warnings.catch_warnings():
            warnings.simplefilter("ignore", BackupWarning)    # _note_resume said them already
            model.fit(data.train.x, data.train.y, batch_size=train["batch_size"],
                      epochs=train["epochs"], validation_data=validation,
                      validation_split=0.0 if validation else config["data"]["validation_split"],
                      callbacks=callbacks + extra + [interrupt], verbose=verbose)
    except KeyboardInterrupt:
        log.info("interrupted: keeping the best checkpoint, the finished epochs' history and "
                 "the backup to continue from (%s)",
                 runs.resume_command(run_dir, model.engine.name, world_size()))
        return True
    for stopper in (c for c in callbacks if isinstance(c, EarlyStopping) and c.stopped_epoch):
        _say_and_log(f"early stopping: {train['monitor']} did not improve for "
                     f"{train['patience']} epoch(s) after epoch {stopper.best_epoch + 1}, so "
                     f"training stopped after epoch {stopper.stopped_epoch + 1} of "
                     f"{train['epochs']} (train.patience, train.early_stopping)")
    return False


def _say_and_log(text: str) -> None:
    log.info(text)
    if is_writer():
        print(text, flush=True)


def _summary_text(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines) + "\n"


def _finish(plan: Plan, run_dir, history, interrupted, overrides) -> dict:
    """Evaluate the best checkpoint on the test set; write metrics.json and curves.png."""
    config, data = plan.config, plan.data
    monitor = config["train"]["monitor"]
    best = best_epoch(history, monitor)
    if history:
        plots.learning_curves(history, run_dir / runs.CURVES, f"{config['name']}", best)
    metrics = {"status": "interrupted" if interrupted else "finished", "recipe": config["name"],
               "engine": plan.engine, "processes": world_size(), "overrides": overrides,
               "interrupted": interrupted,
               "epochs_run": len(history.get("loss", [])), "best_epoch": best,
               "best_val_accuracy": _at(history, "val_accuracy", best),
               "seconds_per_epoch": float(np.mean(history["seconds"])) if history else None,
               "class_names": list(data.classes.values),
               "display_names": list(data.classes.names), "test_source": data.test_source,
               "examples": {"train": len(data.train.y), "test": len(data.test.y),
                            "validation": len(data.validation.y) if data.validation else None}}
    model_file = run_dir / runs.MODEL
    if model_file.is_file():
        metrics.update(evaluate_model(runs.Run(run_dir, config).model(), data.test.x,
                                      data.test.y, data.classes.names))
        log.info("test accuracy %.4f, loss %.4f (best epoch %s of %d)", metrics["test_accuracy"],
                 metrics["test_loss"], best, metrics["epochs_run"])
    else:
        log.info("no epoch finished, so there is no model to evaluate")
    runs.atomic_write_json(run_dir / runs.METRICS, metrics)
    return metrics


def _at(history: dict, key: str, epoch: int | None) -> float | None:
    values = history.get(key)
    return float(values[epoch - 1]) if values and epoch else None


def evaluate_model(model, x: np.ndarray, y: np.ndarray, class_names) -> dict:
    """Test loss, accuracy, parameters and the classification report of ``model`` on (x, y)."""
    outputs = model.predict(x, batch_size=256, verbose=0)
    loss = float(model.loss(y, outputs))  # from the probabilities: one pass over the test set
    report = classification_report(y, outputs, class_names)
    return {"test_loss": loss, "test_accuracy": report.pop("accuracy"),
            "params": model.count_params(), **report}
