"""Training backups on disk: numbered archives, each checksummed and written atomically.

    backup_dir/
        backup-000012.zip     the newest backup
        backup-000011.zip     the one before it, kept in case the newest is damaged later

One archive (a zip, built in memory, then written by ``atomic_path(durable=True)``: a reader sees
a complete archive or none, and it is on the disk before its name is) holds

    manifest.json      {"format": "rnnkit-backup", "version": 1, "sequence": 12,
                        "files": {member: sha256 of its bytes}}
    state.json         the training loop, random generators, metrics and callbacks (JSON; a
                       NumPy array in it is {"__ndarray__": key} into arrays.npz)
    model.weights.h5   the weights and optimizer variables, Keras 3's layout (h5_layout.py)
    arrays.npz         those arrays, read back with ``allow_pickle=False``

The newest archive is written before the older ones are removed, so a crash at any moment leaves
at least one complete backup once one was written. Reading checks every member against the
manifest: a truncated or bit-flipped archive is reported and the next older one is used; when
every archive is damaged, ``BackupError`` says so in one line. Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import faults
from ..atomic import atomic_path
from ..errors import UserError

FORMAT, VERSION = "rnnkit-backup", 1
MANIFEST, STATE, WEIGHTS, ARRAYS = "manifest.json", "state.json", "model.weights.h5", "arrays.npz"
KEEP = 2                                    #: complete backups kept: the newest and one before
_NAME = re.compile(r"backup-(\d{6,})\.zip")
_ARRAY_KEY = "__ndarray__"
#: what zipfile raises on a truncated or bit-flipped archive (a flipped header field can name
#: an unknown compression method, or encryption)
_UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               NotImplementedError, RuntimeError, struct.error, KeyError)


class BackupError(UserError, ValueError):
    """No intact backup where one should be; the message says what was found."""


@dataclass
class Backup:
    """One intact backup read back: its number, file, state (arrays in place) and weights."""

    sequence: int
    path: Path
    state: dict
    weights: bytes


# ---- writing ------------------------------------------------------------------------------------
def write(folder: str | os.PathLike, sequence: int, state: dict, weights: bytes) -> Path:
    """Write backup number ``sequence``; then remove all but the ``KEEP`` newest backups."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tree, arrays = _pack(state)
    members = {STATE: json.dumps(tree).encode("utf-8"), WEIGHTS: weights,
               ARRAYS: _npz_bytes(arrays)}
    manifest = {"format": FORMAT, "version": VERSION, "sequence": sequence,
                "files": {name: _sha256(data) for name, data in members.items()}}
    path = folder / f"backup-{sequence:06d}.zip"
    with atomic_path(path, durable=True) as tmp, open(tmp, "wb") as f:
        f.write(_zip_bytes({**members, MANIFEST: json.dumps(manifest).encode("utf-8")}))
    faults.point("backup:written")          # test hook (faults.py): killed before the pruning
    for old in numbered(folder)[KEEP:]:
        old.unlink(missing_ok=True)
    remove_temporary(folder)
    return path


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pack(state, arrays: dict | None = None, where: str = "state"):
    """``state`` as JSON values, every NumPy array moved into ``arrays`` (returned too)."""
    arrays = {} if arrays is None else arrays
    if isinstance(state, np.ndarray):
        if state.dtype.hasobject:
            raise TypeError(f"{where}: an array of Python objects cannot be backed up")
        key = f"a{len(arrays)}"
        arrays[key] = state
        return {_ARRAY_KEY: key}, arrays
    if isinstance(state, dict):
        return {str(k): _pack(v, arrays, f"{where}.{k}")[0] for k, v in state.items()}, arrays
    if isinstance(state, (list, tuple)):
        return [_pack(v, arrays, f"{where}[{i}]")[0] for i, v in enumerate(state)], arrays
    if isinstance(state, np.generic):
        return state.item(), arrays
    if state is None or isinstance(state, (str, int, float, bool)):
        return state, arrays
    raise TypeError(f"{where}: {type(state).__name__} values cannot be backed up; a "
                    f"callback's get_state must return JSON values and NumPy arrays")


def _unpack(tree, arrays):
    if isinstance(tree, dict):
        if set(tree) == {_ARRAY_KEY}:
            return arrays[tree[_ARRAY_KEY]]
        return {k: _unpack(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_unpack(v, arrays) for v in tree]
    return tree


# ---- reading ------------------------------------------------------------------------------------
def numbered(folder: str | os.PathLike) -> list[Path]:
    """The backup archives in ``folder``, newest first (none when it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m[1]), folder / m[0]) for m in map(_NAME.fullmatch, os.listdir(folder)) if m]
    return [path for _, path in sorted(found, reverse=True)]


def sequence_of(path: Path) -> int:
    return int(_NAME.fullmatch(path.name)[1])


def newest_intact(folder: str | os.PathLike) -> tuple[Backup | None, list[str]]:
    """The newest backup that passes every check, and a line per newer one that did not.

    (None, []) when there is no backup; ``BackupError`` when there are backups and all are
    damaged.
    """
    problems = []
    for path in numbered(folder):
        try:
            return read(path), problems
        except BackupError as e:
            problems.append(str(e))
    if problems:
        raise BackupError(f"{folder} holds no intact backup ({'; '.join(problems)}); the run "
                          f"cannot continue from it — train it again")
    return None, []


def read(path: Path) -> Backup:
    """One archive, every member checked against the manifest's sha256; BackupError if not."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = {name: zf.read(name) for name in zf.namelist()}
    except _UNREADABLE as e:
        raise BackupError(f"{path.name} is truncated or corrupt ({e})") from None
    manifest = _manifest(path, members)
    for name, digest in manifest["files"].items():
        if name not in members:
            raise BackupError(f"{path.name} lacks {name}")
        if _sha256(members[name]) != digest:
            raise BackupError(f"{path.name}: {name} does not match its checksum (damaged)")
    if manifest["sequence"] != sequence_of(path) or set(members) != {MANIFEST, *manifest["files"]}:
        raise BackupError(f"{path.name} does not hold what its manifest lists")
    try:
        arrays = dict(np.load(io.BytesIO(members[ARRAYS]), allow_pickle=False))
        state = _unpack(json.loads(members[STATE]), arrays)
    except (ValueError, KeyError, OSError) as e:   # checksums matched: written by a faulty rnnkit
        raise BackupError(f"{path.name}: {STATE} or {ARRAYS} cannot be read ({e})") from None
    return Backup(manifest["sequence"], path, state, members[WEIGHTS])


def _manifest(path: Path, members: dict[str, bytes]) -> dict:
    try:
        manifest = json.loads(members[MANIFEST])
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BackupError(f"{path.name} has no readable {MANIFEST} ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path.name} is not an rnnkit training backup")
    if manifest.get("version") != VERSION:
        raise BackupError(f"{path.name} is a version {manifest.get('version')} backup; this "
                          f"rnnkit reads version {VERSION}")
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("sequence"),
                                                                     int):
        raise BackupError(f"{path.name} has a damaged {MANIFEST}")
    return manifest


# ---- removing -----------------------------------------------------------------------------------
def remove_temporary(folder: str | os.PathLike) -> None:
    """Delete half-written archives a killed process left (``atomic_path``'s temporary files)."""
    folder = Path(folder)
    if folder.is_dir():
        for tmp in folder.glob(".backup-*.zip.*.tmp"):
            tmp.unlink(missing_ok=True)


def remove_all(folder: str | os.PathLike) -> None:
    """Delete every backup in ``folder``, then the folder if nothing else is in it."""
    folder = Path(folder)
    for path in numbered(folder):
        path.unlink(missing_ok=True)
    remove_temporary(folder)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
