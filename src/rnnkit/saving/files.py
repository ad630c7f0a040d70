"""Files on disk: atomic writes, and opening .keras archives with one-line errors.

A .keras file is a zip holding ``metadata.json``, ``config.json`` and ``model.weights.h5``
(Keras 3's layout). Writes go through ``rnnkit.atomic.atomic_path``, so an interrupted save never
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


class ModelFileError(ValueError):
    """A model or weights file is missing pieces, truncated or corrupt."""


def h5_bytes(write) -> bytes:
    """Run ``write(h5_file)`` on an in-memory HDF5 file and return its bytes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        write(h5)
    return buffer.getvalue()


def write_archive(path: str, config: dict, metadata: dict, weights: bytes,
                  overwrite: bool = True) -> None:
    with atomic_path(path, overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(METADATA_NAME, json.dumps(metadata))
            zf.writestr(CONFIG_NAME, json.dumps(config))
            zf.writestr(WEIGHTS_NAME, weights)


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
