"""Keras model files: ``.keras`` archives, ``.weights.h5`` weight files, and legacy ``.h5``
model and weight files (Keras 2 / tf.keras, Keras 3's legacy saver: legacy_h5.py).

A ``.keras`` archive holds config.json, metadata.json, model.weights.h5 and the files layers
write with ``save_assets`` (assets.py: a TextVectorization's vocabulary), each where Keras puts it.

Files written here load in real Keras 3 (``keras.models.load_model``), and files Keras 3 wrote
load here, for the layers rnnkit has. rnnkit-only options ride in metadata.json under
``"rnnkit"``, which Keras ignores. Writes are atomic; nothing is ever pickled.
"""

from __future__ import annotations

import datetime
import logging
import os
import tempfile
import warnings

import h5py

from ..engines.process_rank import is_writer
from . import assets, h5_layout, keras_format, legacy_h5
from ..atomic import atomic_path, refuse_overwrite
from .files import (CONFIG_NAME, METADATA_NAME, Archive, ModelFileError, check_exists, h5_bytes,
                    open_h5, write_archive)
from .h5_layout import WeightsMismatchError
from ..layers import cells
from .keras_format import UnsupportedModelError

_log = logging.getLogger("rnnkit")

#: The Keras release whose .keras layout this writer reproduces (and was checked against).
KERAS_FORMAT_VERSION = "3.15.1"


def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True,
               save_format=None) -> None:
    """Write ``model`` to a ``.keras`` file (config, metadata, weights, optimizer state), or,
    as Keras 3 does for a path ending ``.h5``/``.hdf5``, to a legacy HDF5 model file."""
    if not is_writer():  # data-parallel run: rank 0 alone writes files
        return
    path = os.fspath(filepath)
    _check_save_format(path, save_format)
    if legacy_h5.is_legacy_path(path):
        # Keras 3 logs this (absl logging), it does not warn: a notebook run with warnings
        # as errors saves .h5 checkpoints there, so it must here too
        _log.warning("You are saving your model as an HDF5 file via `model.save()`. This file "
                     "format is considered legacy. We recommend using instead the native Keras "
                     "format, e.g. `model.save('my_model.keras')`")
        legacy_h5.save_model(model, path, overwrite, include_optimizer, KERAS_FORMAT_VERSION)
        return
    if not path.endswith(".keras"):
        raise ValueError(f"model files end in .keras (Keras 3's format) or .h5 (the legacy "
                         f"format), got {path!r} (for weights alone use "
                         f"save_weights('….weights.h5'))")
    refuse_overwrite(path, overwrite)
    from .. import __version__

    config, extras = keras_format.model_to_keras_json(model)
    metadata = {"keras_version": KERAS_FORMAT_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "rnnkit": {"version": __version__, "layer_options": extras,
                           "model_metadata": model.metadata}}
    weights = h5_bytes(lambda h5: h5_layout.write_model(h5, model))
    with tempfile.TemporaryDirectory(prefix="rnnkit-assets-") as folder:
        write_archive(path, config, metadata, weights, overwrite=overwrite,
                      assets=assets.save_assets(model, folder))


def _check_save_format(path: str, save_format) -> None:
    """Keras 3 deprecated ``save_format`` (the path's ending says it): it warns where the path
    is .keras or .h5, and refuses it elsewhere."""
    if not save_format:
        return
    if path.endswith((".keras",) + legacy_h5.SUFFIXES):
        warnings.warn(f"The `save_format` argument is deprecated in Keras 3; remove it (the "
                      f"format follows from the path). Received: save_format={save_format}",
                      UserWarning, stacklevel=4)
        return
    raise ValueError(f"save_format={save_format!r} is deprecated in Keras 3: remove it and "
                     f"give a path ending in .keras or .h5, got {path!r}")


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Read a ``.keras`` file or a legacy ``.h5`` model file (written by rnnkit, Keras 3 or
    tf.keras 2) into a Sequential (or Functional) model.

    ``custom_objects`` ({name in the file: class}) names your own recurrent cells, as in Keras;
    a cell class is also found by its own name once the module defining it is imported."""
    with cells.custom_cells(dict(custom_objects or {})):
        return _load(os.fspath(filepath), compile)


def _load(path: str, compile: bool):
    check_exists(path)
    if legacy_h5.is_legacy_path(path):
        model, optimizer_vars = legacy_h5.load_model(path, compile)
        if optimizer_vars is not None:
            _restore_optimizer(model, optimizer_vars, path)
        return model
    if not path.endswith(".keras"):
        raise ModelFileError(f"{path} is not a model file: rnnkit reads .keras files and "
                             f"legacy .h5 model files")
    with Archive(path) as archive, tempfile.TemporaryDirectory(prefix="rnnkit-assets-") as folder:
        top = archive.json(CONFIG_NAME)
        metadata = archive.json(METADATA_NAME)
        extras = (metadata.get("rnnkit") or {}).get("layer_options") or {}
        try:
            model = keras_format.model_from_keras_json(top, extras)
        except UnsupportedModelError as e:
            raise UnsupportedModelError(f"{path}: {e}") from None
        model.metadata = dict((metadata.get("rnnkit") or {}).get("model_metadata") or {})
        if compile and top.get("compile_config"):
            model.compile(**keras_format.compile_from_keras(top["compile_config"]))
        with archive.weights() as h5:
            optimizer_vars = h5_layout.read_model(h5, model, path)
        archive.extract_assets(folder)
        assets.load_assets(model, folder, path)
    if model.compiled and optimizer_vars is not None:
        _restore_optimizer(model, optimizer_vars, path)
    return model


def _restore_optimizer(model, values, source: str) -> None:
    """Keras's optimizer state: [iteration, learning_rate] ([iteration] with a schedule) alone,
    saved before the first step, or followed by every slot."""
    optimizer = model.optimizer
    if len(values) == len(optimizer.head_variables()):  # saved before the first step: no slots
        optimizer.iterations = int(values[0])
        if len(values) == 2:
            optimizer.learning_rate = float(values[1])
        return
    optimizer.build(model.trainable_weights)
    try:
        optimizer.set_variables(values)
    except ValueError as e:
        optimizer.built = False
        warnings.warn(f"{source}: optimizer state not restored ({e}); training continues from "
                      f"fresh optimizer state", stacklevel=3)


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Write the model's weights (and optimizer state) to a Keras 3 ``.weights.h5`` file."""
    if not is_writer():  # data-parallel run: rank 0 alone writes files
        return
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"weights files must end in .weights.h5 (Keras 3), got {path!r}")
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built, so it has no weights to save")
    with atomic_path(path, overwrite) as tmp:
        with h5py.File(tmp, "w") as h5:
            h5_layout.write_model(h5, model)


def load_weights(model, filepath) -> None:
    """Read weights from a ``.weights.h5``, ``.keras`` or legacy ``.h5`` file into a built
    model."""
    path = os.fspath(filepath)
    check_exists(path)
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built; build it (or call it on data) "
                         f"before load_weights so its weights exist")
    if path.endswith(".keras"):
        with Archive(path) as archive, archive.weights() as h5:
            h5_layout.read_model(h5, model, path)
        return
    if legacy_h5.is_legacy_path(path) and not path.endswith(".weights.h5"):
        legacy_h5.load_weights(model, path)  # as Keras 3: weights only, never the optimizer
        return
    if not path.endswith(".weights.h5"):
        raise ValueError(f"load_weights reads .weights.h5, .keras or legacy .h5 files, "
                         f"got {path!r}")
    with open_h5(path, path) as h5:
        optimizer_vars = h5_layout.read_model(h5, model, path)
    if model.compiled and optimizer_vars is not None and model.optimizer.built:
        _restore_optimizer(model, optimizer_vars, path)


__all__ = ["save_model", "load_model", "save_weights", "load_weights", "ModelFileError",
           "UnsupportedModelError", "WeightsMismatchError", "KERAS_FORMAT_VERSION"]
