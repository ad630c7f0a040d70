"""Reading Keras's dataset ``.npz`` files (imdb.npz, reuters.npz) without trusting pickle.

Those files store ragged sequences as object arrays, which NumPy can only save as pickle streams,
and unpickling runs whatever the stream asks for. Two locks, both needed:

1. the caller verifies the file's sha256 against the published one *before* this module opens it
   (``download.fetch`` does that), so only Keras's own bytes ever reach the unpickler;
2. the unpickler below resolves no global except the three that rebuild a NumPy array, so even a
   file that slipped past (1) cannot run code.

Numeric members are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np

from .errors import CorruptArchiveError

# Rebuilding an object ndarray needs exactly these (numpy<2 and numpy>=2 spell the module apart).
_ARRAY_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ARRAY_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only NumPy arrays are allowed")
        return super().find_class(module, name)


def _read_npy(raw: bytes, where: str) -> np.ndarray:
    fp = io.BytesIO(raw)
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only in the header's text encoding; the layout is the same.
        _, _, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise CorruptArchiveError(f"{where} uses .npy format {version}, which rnnkit does not read")
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    array = _ArrayOnlyUnpickler(fp).load()
    if not isinstance(array, np.ndarray):
        raise CorruptArchiveError(f"{where} holds a {type(array).__name__}, not an array")
    return array


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of the archive at ``path``, by name (without ``.npy``).

    Call it only on a file whose checksum you have verified (see the module docstring).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return {
                name[: -len(".npy")]: _read_npy(archive.read(name), f"{path}:{name}")
                for name in archive.namelist()
                if name.endswith(".npy")
            }
    except (zipfile.BadZipFile, EOFError, pickle.UnpicklingError, ValueError) as exc:
        if isinstance(exc, CorruptArchiveError):
            raise
        raise CorruptArchiveError(
            f"{path} is not a readable .npz archive ({exc}); delete it and download it again"
        ) from exc
