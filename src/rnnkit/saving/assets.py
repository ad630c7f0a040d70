"""Layer assets in .keras archives: files a layer writes beside its weights (a vocabulary).

The protocol is Keras 3's. A layer (or an object nested in one, such as TextVectorization's
lookup table) may define

* ``save_assets(dir_path)``: write its files into the existing folder ``dir_path``;
* ``load_assets(dir_path)``: read them back, after the layer is built and its weights loaded.
  ``dir_path`` always exists here (empty when the archive holds nothing for the layer; Keras
  passes None then), so a layer that finds its file missing says so with one line.

Each object's folder is the path Keras's saving_lib gives it in a Sequential model
(``h5_layout.object_paths``): ``assets/layers/text_vectorization/vocabulary.txt``, so archives
Keras writes load here and ours load in Keras.
"""

from __future__ import annotations

import os

from .files import ASSETS_DIR, ModelFileError
from .h5_layout import object_paths


def save_assets(model, folder: str) -> list[tuple[str, str]]:
    """Let every object with ``save_assets`` write into ``folder``; returns (archive member,
    file path) pairs, sorted, for the files they wrote."""
    for inner, obj in object_paths(model.layers):
        if hasattr(obj, "save_assets"):
            target = os.path.join(folder, ASSETS_DIR, *inner.split("/"))
            os.makedirs(target, exist_ok=True)
            obj.save_assets(target)
    return _files_under(folder)


def _files_under(folder: str) -> list[tuple[str, str]]:
    out = []
    for dirpath, _, filenames in os.walk(folder):
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            out.append((os.path.relpath(path, folder).replace(os.sep, "/"), path))
    return sorted(out)


def load_assets(model, folder: str, source: str) -> None:
    """Call ``load_assets`` on every object that has it, with its folder under ``folder`` (where
    ``Archive.extract_assets`` put the archive's assets); a missing or unreadable asset is one
    ``ModelFileError`` line naming the file and the layer."""
    for inner, obj in object_paths(model.layers):
        if not hasattr(obj, "load_assets"):
            continue
        target = os.path.join(folder, ASSETS_DIR, *inner.split("/"))
        os.makedirs(target, exist_ok=True)
        try:
            obj.load_assets(target)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise ModelFileError(f"{source}: the assets of {getattr(obj, 'name', inner)!r} "
                                 f"({ASSETS_DIR}/{inner}) cannot be loaded: {_reason(e, target)}") from None


def _reason(error: Exception, folder: str) -> str:
    """The error's first line, with the temporary folder's path left out."""
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"{os.path.relpath(error.filename, folder).replace(os.sep, '/')} is missing"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text.replace(folder + os.sep, "")
