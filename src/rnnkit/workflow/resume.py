"""``rnnkit train --resume RUN``: which runs can continue, and with which config.

A run continues from the newest intact backup in ``RUN/backup/`` (written by BackupAndRestore at
every epoch's end, or every ``--backup-every`` batches), so that it ends with the model the same
run would have had uninterrupted. That holds only for the same training, so the resolved config
must equal the run's ``config.json`` except for the keys in ``MAY_CHANGE``: ``train.epochs``
(to train longer, or stop sooner, than first asked — not below the epochs already done), and the
run's ``description`` and ``reported`` figure, which train nothing. The engine must be the one the
backup was made on (the two engines agree to rounding, not bit for bit).

A run whose ``backup/`` folder is empty was stopped before its first backup was complete: it
starts again from its first epoch, which ends as the uninterrupted run would too. Refused, each
in one line: a folder that is not a run, a finished run, a run whose backups are all damaged, a
run with finished epochs and no ``backup/`` folder (made before --resume existed), a changed
config or engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..saving import backup
from .runs import BACKUP, CONFIG, HISTORY, METRICS, RunError

#: config keys (and key prefixes, ending in ".") a resumed run may change
MAY_CHANGE = ("train.epochs", "description", "reported.")


@dataclass
class Resumable:
    """A run that may continue: its folder, config.json, and newest intact backup (if any)."""

    path: Path
    config: dict
    backup: backup.Backup | None
    problems: list[str] = field(default_factory=list)   #: damaged newer backups, one line each

    @property
    def position(self) -> str:
        """Where training continues, in words."""
        if self.backup is None:
            return "the first epoch (no backup had been written yet)"
        loop = self.backup.state["loop"]
        epoch, step = loop["epoch"] + 1, loop["step"]
        if step and step >= loop["steps"]:
            return f"the end of epoch {epoch} (its batches done)"
        return f"epoch {epoch}" + (f", batch {step + 1}" if step else "")


def open_run(path: Path) -> Resumable:
    """The run in ``path`` if it can continue; else a one-line RunError or BackupError."""
    path = Path(path)
    if not (path / CONFIG).is_file():
        raise RunError(f"--resume {path}: not a run directory (no {CONFIG}); pass a folder "
                       f"that `rnnkit train` wrote, e.g. runs/default-20250101-120000")
    config = json.loads((path / CONFIG).read_text(encoding="utf-8"))
    status = _status(path)
    if status == "finished":
        raise RunError(f"--resume {path}: the run finished ({METRICS} says so), so there is "
                       f"nothing to continue; train a new one, e.g. rnnkit train "
                       f"{path / CONFIG} --set train.epochs=N")
    try:
        found, problems = backup.newest_intact(path / BACKUP)
    except backup.BackupError as e:
        raise backup.BackupError(f"--resume {path}: {e}") from None
    if found is None and not (path / BACKUP).is_dir() and _finished_epochs(path):
        raise RunError(f"--resume {path}: the run has finished epochs but no backup to continue "
                       f"from ({path / BACKUP} is missing: the run predates --resume, or the "
                       f"backup was deleted); train it again")
    return Resumable(path, config, found, problems)


def check_config(run: Resumable, config: dict, engine: str) -> None:
    """Refuse a config (resolved, data paths absolute) or engine the run was not trained with."""
    changed = [key for key in changed_keys(run.config, config) if not _may_change(key)]
    if changed:
        shown = ", ".join(f"{key} ({_value(run.config, key)} → {_value(config, key)})"
                          for key in changed[:4]) + (" …" if len(changed) > 4 else "")
        raise RunError(f"--resume {run.path}: the config differs from the run's in {shown}; a "
                       f"resumed run trains what it started — drop those changes (only "
                       f"train.epochs, description and reported.* may differ)")
    if run.backup is None:
        return
    done = run.backup.state["loop"]["epoch"]
    if config["train"]["epochs"] < done:
        raise RunError(f"--set train.epochs={config['train']['epochs']}: the run has already "
                       f"trained {done} epochs; ask for {done} or more")
    saved = run.backup.state["engine"]
    if saved != engine:
        raise RunError(f"--resume {run.path}: the run trained on the {saved} engine; continue it "
                       f"with --engine {saved}")


def changed_keys(old, new, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ (lists item by item when their lengths agree)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [key for k in sorted(set(old) | set(new), key=str)
                for key in changed_keys(old.get(k), new.get(k), f"{prefix}{k}.")]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [key for i, (a, b) in enumerate(zip(old, new))
                for key in changed_keys(a, b, f"{prefix}{i}.")]
    return [] if old == new else [prefix.rstrip(".")]


def _may_change(key: str) -> bool:
    return any(key == allowed or (allowed.endswith(".") and key.startswith(allowed))
               for allowed in MAY_CHANGE)


def _value(config, key: str):
    node = config
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return "unset"
    return json.dumps(node) if isinstance(node, (dict, list, str)) else node


def _status(path: Path) -> str | None:
    try:
        return json.loads((path / METRICS).read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError):
        return None


def _finished_epochs(path: Path) -> int:
    try:
        lines = (path / HISTORY).read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    return max(0, len(lines) - 1)
