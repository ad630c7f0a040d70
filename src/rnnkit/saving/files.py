"""Files on disk: atomic writes, and opening .keras archives with one-line errors.

A .keras file is a zip holding ``metadata.json``, ``config.json`` and ``model.weights.h5``
(Keras 3's layout), and ``assets/…`` files some layers write (a vocabulary). Asset members are
checked before they are written to disk: a name that would land outside the folder they are
extracted to (absolute, ``..``, a drive) is refused. Writes go through ``rnnkit.atomic.atomic_path``, so an interrupted save never
leaves a half-written model behind.
Nothing here ever unpickles.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from contextlib import contextmanager

import h5py

from ..atomic import atomic_path

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"
ASSETS_DIR = "assets"


class ModelFileError(ValueError):
    """A model or weights file is missing pieces, truncated or corrupt."""


def h5_bytes(write) -> bytes:
    """Run ``write(h5_file)`` on an in-memory HDF5 file and return its bytes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        write(h5)
    return buffer.getvalue()


def write_archive(path: str, config: dict, metadata: dict, weights: bytes,
                  overwrite: bool = True, assets=()) -> None:
    """The archive, atomically; ``assets`` are (member name under ``assets/``, file path)."""
    with atomic_path(path, overwrite) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(METADATA_NAME, json.dumps(metadata))
        zf.writestr(CONFIG_NAME, json.dumps(config))
        zf.writestr(WEIGHTS_NAME, weights)
        for member, file_path in assets:
            zf.write(file_path, member)


def check_exists(path: str) -> None:
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a folder; rnnkit reads .keras files (zip archives)")


class Archive:
    """A read-only .keras archive with validated members."""

    def __init__(self, path: str):
        check_exists(path)
        self.path = path
        if not zipfile.is_zipfile(path):
            raise ModelFileError(f"{path} is not a .keras archive (no zip directory found); "
                                 f"it is truncated, corrupt or another format")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise ModelFileError(f"{path} is a corrupt .keras archive: {e}") from None
        names = set(self.zip.namelist())
        missing = [n for n in (CONFIG_NAME, WEIGHTS_NAME) if n not in names]
        if missing:
            self.zip.close()
            raise ModelFileError(f"{path} is not a complete .keras file: it lacks "
                                 f"{', '.join(missing)}")

    def read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as e:
            raise ModelFileError(f"{self.path}: {name} is corrupt ({e})") from None

    def json(self, name: str) -> dict:
        if name not in self.zip.namelist():
            return {}
        try:
            return json.loads(self.read(name))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelFileError(f"{self.path}: {name} is not valid JSON ({e})") from None

    def extract_assets(self, folder: str) -> None:
        """Write every ``assets/…`` member under ``folder`` (as ``folder/assets/…``), after
        checking every member's name: one that would land outside ``folder`` is refused."""
        root = os.path.realpath(folder)
        assets_root = os.path.join(root, ASSETS_DIR)
        targets = [(info, self._member_target(info.filename, root))
                   for info in self.zip.infolist()]
        for info, target in targets:
            if not target.startswith(assets_root + os.sep):
                continue  # config, metadata, weights: read in memory, never written out
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(self.read(info.filename))

    def _member_target(self, name: str, root: str) -> str:
        """Where member ``name`` would go under ``root``; refuses names that would escape it."""
        parts = name.replace("\\", "/").split("/")
        target = os.path.realpath(os.path.join(root, *parts))
        if (name.startswith(("/", "\\")) or ".." in parts or ":" in name
                or not target.startswith(root + os.sep)):
            raise ModelFileError(f"{self.path}: archive member {name!r} points outside the "
                                 f"model's folder; the file was tampered with or is corrupt")
        return target

    @contextmanager
    def weights(self):
        with open_h5(io.BytesIO(self.read(WEIGHTS_NAME)), f"{self.path}:{WEIGHTS_NAME}") as h5:
            yield h5

    def close(self) -> None:
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_h5(source, label: str) -> h5py.File:
    try:
        return h5py.File(source, "r")
    except OSError as e:
        reason = str(e).splitlines()[0]
        raise ModelFileError(f"{label} is not a readable HDF5 file ({reason}); "
                             f"it is truncated or corrupt") from None
