"""A full disk during training, said in one line that names the disk and how to continue."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import UserError

#: no space left, or the user's disk quota spent: either way, space must be freed
_FULL = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(UserError, OSError):
    """A write failed for lack of space; the files written before it are intact."""


def disk_full_error(error: BaseException, run_dir: Path) -> DiskFullError | None:
    """The one-line error for ``error`` if it (or what caused it) is a full disk, else None."""
    cause = _full_disk_cause(error)
    if cause is None:
        return None
    path = Path(cause.filename) if cause.filename else Path(run_dir)
    return DiskFullError(f"the disk at {mount_point(path)} is full (no space left writing "
                         f"{path}); the last backup and the best model are intact — free some "
                         f"space, then continue with: rnnkit train --resume {run_dir}")


def _full_disk_cause(error: BaseException | None) -> OSError | None:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _FULL:
            return error
        error = error.__cause__ or error.__context__
    return None


def mount_point(path: Path) -> Path:
    """The mount point of the filesystem holding ``path`` (its nearest existing folder's)."""
    path = Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    while not os.path.ismount(path):
        path = path.parent
    return path
