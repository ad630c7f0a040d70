"""Run directories: one folder per training run, written atomically, read back by name.

    runs/<recipe>-<YYYYmmdd-HHMMSS>/
        config.json      the resolved recipe (defaults + recipe + --set)
        model.keras      the best epoch's model (Keras 3 format)
        vocabulary.json  the fitted encoder that turns raw text into the model's input
        classes.json     the label values (class-id order) and their display names
        history.csv      one row per finished epoch
        curves.png       loss and accuracy, train vs validation, best epoch marked
        summary.txt      the model's summary table
        metrics.json     status (finished, interrupted, failed), test loss/accuracy, per-class
                         precision/recall/F1, confusion matrix
        train.log        what happened, with timings
        backup/          while the run is unfinished: the newest training backups, from which
                         `rnnkit train --resume` continues (removed once the run finished)

Every file but the log is written to a temporary name in the same folder and renamed into place,
so an interrupted run never leaves a half-written one behind; train.log is appended line by line
(a logging FileHandler), so a crash leaves it complete up to its last line, and a resumed run
goes on appending to it. A directory that already holds a run is never trained into again unless
the user says ``--overwrite`` (or continues it with ``--resume``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..errors import UserError
from . import encoders
from .classes import Classes

CONFIG, MODEL, VOCABULARY, CLASSES = "config.json", "model.keras", "vocabulary.json", "classes.json"
HISTORY, CURVES, SUMMARY, METRICS, LOG = ("history.csv", "curves.png", "summary.txt",
                                          "metrics.json", "train.log")
RUN_FILES = (CONFIG, MODEL, VOCABULARY, CLASSES, HISTORY, CURVES, SUMMARY, METRICS, LOG)
BACKUP = "backup"


class RunError(UserError, ValueError):
    """A run directory is missing or incomplete; the message says what to do."""


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def new_run_dir(root: Path, recipe: str, now: _dt.datetime | None = None) -> Path:
    """A fresh ``root/<recipe>-<timestamp>`` (``-2``, ``-3``… when that second is taken)."""
    path = free_run_dir(root, recipe, now)
    path.mkdir(parents=True)
    return path


def free_run_dir(root: Path, recipe: str, now: _dt.datetime | None = None) -> Path:
    """The path ``new_run_dir`` would make, not made (a data-parallel run's rank 0 makes it)."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{Path(recipe).stem}-{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


@dataclass
class Run:
    """A run directory read back: its config and (on demand) model, encoder and metrics."""

    path: Path
    config: dict

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Run":
        path = Path(path)
        if not path.is_dir():
            raise RunError(f"{path} is not a run directory; pass one written by `rnnkit train` "
                           f"(e.g. runs/default-20250101-120000)")
        if not (path / MODEL).is_file():
            raise RunError(f"{path} has no {MODEL}, so it is not a finished run; pass a run "
                           f"directory that `rnnkit train` finished (runs/<recipe>-<time>)")
        if not (path / CONFIG).is_file():
            raise RunError(f"{path} has no {CONFIG}; it was not written by `rnnkit train` — "
                           f"train a new run")
        return cls(path, json.loads((path / CONFIG).read_text(encoding="utf-8")))

    @property
    def name(self) -> str:
        return self.config.get("name", self.path.name)

    def model(self):
        from ..saving import ModelFileError, UnsupportedModelError, load_model
        try:
            return load_model(self.path / MODEL)
        except (ModelFileError, UnsupportedModelError) as e:   # one line that says what is wrong
            raise RunError(f"{e}; train the run again (or restore {MODEL} from a backup)") \
                from None

    def encoder(self):
        file = self.path / VOCABULARY
        if not file.is_file():
            raise RunError(f"{self.path} has no {VOCABULARY}, so raw text cannot be encoded; "
                           f"train the run again with `rnnkit train`")
        return encoders.from_dict(json.loads(file.read_text(encoding="utf-8")))

    def metrics(self) -> dict:
        file = self.path / METRICS
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

    @property
    def classes(self) -> Classes:
        file = self.path / CLASSES
        if file.is_file():
            return Classes.from_dict(json.loads(file.read_text(encoding="utf-8")))
        metrics = self.metrics()  # a run from before classes.json: its metrics name them
        if not metrics.get("class_names"):
            raise RunError(f"{self.path} has no {CLASSES}, so its classes are unknown; train "
                           f"the run again with `rnnkit train`")
        values = tuple(metrics["class_names"])
        return Classes(values, tuple(metrics.get("display_names") or values))


def prepare_run_dir(path: Path, overwrite: bool) -> None:
    """Make ``path`` ready for a new run: refuse one that holds a run unless ``overwrite``,
    in which case only the run's own files are removed (nothing else in the folder)."""
    path = Path(path)
    held = check_run_dir(path, overwrite)
    for name in held:
        (path / name).unlink()
    from ..saving import backup
    backup.remove_all(path / BACKUP)        # an unfinished run's backups go with it
    path.mkdir(parents=True, exist_ok=True)


def resume_command(path: Path, engine: str = "numpy", processes: int = 1) -> str:
    """The command that continues the run in ``path``: the engine it trained on must be given
    again (resume refuses another), and the process count it ran with is what it ran best on."""
    flags = ("" if engine == "numpy" else f" --engine {engine}") + \
        (f" --nproc {processes}" if processes > 1 else "")
    return f"rnnkit train --resume {path}{flags}"


def check_run_dir(path: Path, overwrite: bool) -> list[str]:
    """The run files ``path`` holds, or the one-line refusal ``prepare_run_dir`` gives (nothing
    is changed: a data-parallel launcher checks, its rank 0 prepares)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunError(f"--run-dir {path} is a file, not a folder; choose another --run-dir")
    held = [name for name in RUN_FILES if (path / name).exists()]
    if held and not overwrite:
        status = _status(path)
        resume = f", continue it with --resume {path}" if status != "finished" else ""
        raise RunError(f"--run-dir {path} already holds a run ({status}); choose another "
                       f"--run-dir{resume}, or pass --overwrite to replace it")
    return held


def _status(path: Path) -> str:
    metrics = path / METRICS
    if metrics.is_file():
        return json.loads(metrics.read_text(encoding="utf-8")).get("status", "finished")
    return "unfinished"


def latest_run(root: Path, recipe: str) -> Path | None:
    """The newest finished run (it has metrics.json) of ``recipe`` under ``root``, if any."""
    found = [p for p in Path(root).glob(f"{recipe}-*") if _status(p) == "finished"
             and json.loads((p / CONFIG).read_text(encoding="utf-8")).get("name") == recipe]
    return max(found, key=lambda p: p.name) if found else None
