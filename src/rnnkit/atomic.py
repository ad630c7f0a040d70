"""Atomic file writes: the one helper every file a crash could leave half-written goes through.

The data goes to a temporary file in the target's folder, then ``os.replace`` puts it in place
(atomic on POSIX and Windows within one filesystem), so a reader sees the old file or the new
one, never a torn one. The new file gets the mode a plain ``open(path, "w")`` would give it —
the replaced file's, else 0666 less the umask — not the temporary file's private 0600.

That survives a crash or ``kill -9`` (the page cache outlives the process). ``durable=True``
also survives a power cut: the data is fsync'ed before the rename and the folder after it, so the
rename never reaches the disk before the bytes it names (what training backups ask for).
A write that fails (a full disk) leaves the old file and no temporary one, and the OSError names
``path`` when the system gave no file name.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager

from . import faults


def refuse_overwrite(path: str | os.PathLike, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


def _umask() -> int:
    umask = os.umask(0)     # read it the only portable way: set, then put back at once
    os.umask(umask)
    return umask


_NEW_FILE_MODE = 0o666 & ~_umask()


def _mode_for(path: str) -> int:
    """The mode ``open(path, "w")`` would leave: the existing file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return _NEW_FILE_MODE


@contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = True, durable: bool = False):
    """Yield a temporary path next to ``path``; when the block succeeds it replaces ``path``
    atomically (with ``open``'s permissions; flushed to the disk first when ``durable``); when
    it raises, ``path`` is left as it was."""
    path = os.fspath(path)
    refuse_overwrite(path, overwrite)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):   # else mkstemp's error names the temporary file, not ours
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist; "
                                f"create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=folder)
    except OSError as e:
        _raise_naming(e, path)
    os.close(fd)
    try:
        yield tmp
        faults.point(f"write:{os.path.basename(path)}", path)   # test hook: see faults.py
        os.chmod(tmp, _mode_for(path))
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
        if durable:
            _fsync(folder)
    except OSError as e:
        _raise_naming(e, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _raise_naming(error: OSError, path: str):
    """Raise ``error`` again, naming ``path`` when it names no file (a failed write() names
    none, and a full disk should say where it is)."""
    if error.filename is not None or error.errno is None:
        raise error
    raise OSError(error.errno, error.strerror, path) from error


def _fsync(path: str) -> None:
    """Flush a file's (or a folder's entries') data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
