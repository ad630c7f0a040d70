"""Legacy HDF5 model files (``.h5``, ``.hdf5``): the one-file format of Keras 2 and tf.keras,
which Keras 3 still writes for ``model.save("x.h5")`` and reads in ``load_model``/``load_weights``.

    attrs: keras_version, backend, model_config (JSON), training_config (JSON, when compiled)
    model_weights/                 attrs layer_names, backend, keras_version
        <layer name>/              attr weight_names: ["sequential/lstm/lstm_cell/kernel", …]
            <weight name>          one dataset per weight, at its name as a path
                                   (a Functional's have no model scope: "lstm/lstm_cell/kernel")
        top_level_model_weights/   (empty for a Sequential and a Functional)
    optimizer_weights/             attr weight_names: [adam/iteration, adam/learning_rate, …]

Weights pair with layers by position among the layers that have weights, and within a layer by
position (trainable then non-trainable, Keras's legacy order); names only locate datasets. This
mirrors keras/src/legacy/saving/legacy_h5_format.py. A file ``model.save_weights`` wrote in
Keras 2 is the ``model_weights`` group alone, at the file's top.

Optimizer weights come in two orders: Keras 3's (its optimizer's ``variables``: iteration,
learning_rate, slots) and tf.keras 2's (iteration, then slots named ``Adam/m/<weight>:0`` —
or ``Adam/<weight>/m:0`` in Keras <= 2.10 — with no learning_rate), which is mapped by name.
rnnkit-only layer options ride in an ``rnnkit`` file attribute, which Keras ignores.
Writes are atomic; nothing is ever pickled.
"""

from __future__ import annotations

import json
import logging
import os
import warnings

import h5py
import numpy as np

from ..atomic import atomic_path
from ..naming import snake_case
from . import h5_layout, keras_format
from .files import ModelFileError, open_h5
from .h5_layout import WeightsMismatchError

SUFFIXES = (".h5", ".hdf5")
#: Keras splits a name list over attrs name0, name1, … above this many bytes (HDF5's limit).
HEADER_LIMIT = 64512
# tf.keras 2's slot names (new optimizers, then Keras <= 2.10's) → rnnkit's slot names
_KERAS2_SLOTS = {"m": "momentum", "momentum": "momentum", "v": "velocity",
                 "velocity": "velocity", "vhat": "velocity_hat", "velocity_hat": "velocity_hat",
                 "rms": "velocity", "mg": "average_gradient",
                 "average_gradient": "average_gradient"}


def is_legacy_path(path: str) -> bool:
    """What Keras 3 hands to its legacy saver: any path ending .h5 or .hdf5."""
    return path.endswith(SUFFIXES)


# ---- writing ------------------------------------------------------------------------------------
def save_model(model, path: str, overwrite: bool, include_optimizer: bool,
               keras_version: str) -> None:
    """Write ``model`` as Keras 3's legacy saver does (its config, weights, optimizer)."""
    _refuse_unsaveable(model)
    model_config, training_config, extras = keras_format.model_to_legacy_json(model)
    from .. import __version__
    folder = os.path.dirname(path)
    if folder:  # Keras's legacy saver makes the folder (its .keras saver does not)
        os.makedirs(folder, exist_ok=True)
    with atomic_path(path, overwrite) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "numpy"  # Keras reads it for nothing; rnnkit's math is NumPy's
        f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
        if training_config is not None and include_optimizer:
            f.attrs["training_config"] = json.dumps(training_config).encode("utf8")
        f.attrs["rnnkit"] = json.dumps({"version": __version__, "layer_options": extras,
                                        "model_metadata": model.metadata}).encode("utf8")
        write_weights(f.create_group("model_weights"), model, keras_version)
        if include_optimizer and model.compiled:
            _write_optimizer(f, model)


def _refuse_unsaveable(model) -> None:
    """State that is not a weight (a vocabulary, idf weights) has no place in a legacy file."""
    for _, obj in h5_layout.object_paths(model.layers):
        if hasattr(obj, "save_own_variables") or hasattr(obj, "save_assets"):
            raise ValueError(f"layer {obj.name!r} ({type(obj).__name__}) keeps state a legacy "
                             f".h5 file cannot hold; save the model as .keras instead")


def write_weights(group: h5py.Group, model, keras_version: str) -> None:
    _write_names(group, "layer_names", [layer.name for layer in model.layers])
    group.attrs["backend"] = "numpy"
    group.attrs["keras_version"] = keras_version
    # sorted by name, as Keras does, so that no group name is a prefix of one made before it
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        _write_subset(group.create_group(layer.name), weight_paths(layer, _scope(model)),
                      _layer_weights(layer))
    _write_subset(group.create_group("top_level_model_weights"), [], [])


def _layer_weights(layer) -> list[np.ndarray]:
    return layer.params() if getattr(layer, "built", False) else []


def _scope(model) -> str:
    """The prefix of Keras 3's weight paths: a Sequential builds its layers inside its own
    name scope (sequential/lstm/…); a Functional's layers are built where they are called on
    Input tensors, outside any model (lstm/…)."""
    return f"{model.name}/" if model.keras_class_name == "Sequential" else ""


def weight_paths(layer, scope: str) -> list[str]:
    """Keras 3's weight paths for ``layer``'s weights: sequential/lstm/lstm_cell/kernel, …"""
    if not _layer_weights(layer):
        return []
    names = _named_paths(layer, f"{scope}{layer.name}")
    if len(names) != len(_layer_weights(layer)):  # a layer that names its weights otherwise
        names = [f"{scope}{layer.name}/{i}" for i in range(len(_layer_weights(layer)))]
    return names


def _named_paths(obj, prefix: str) -> list[str]:
    children = h5_layout.child_objects(obj)
    if children:
        return [path for _, child in children
                for path in _named_paths(child, f"{prefix}/{_object_name(child)}")]
    return [f"{prefix}/{name}" for name in getattr(obj, "weight_names", [])]


def _object_name(obj) -> str:
    # a cell is not a layer here and has no name: Keras's cells are lstm_cell, gru_cell, …
    return getattr(obj, "name", None) or snake_case(type(obj).__name__)


def _write_subset(group: h5py.Group, names: list[str], values: list[np.ndarray]) -> None:
    _write_names(group, "weight_names", names)
    for name, value in zip(names, values):
        group.create_dataset(name, data=np.asarray(value))


def _write_names(group: h5py.Group, key: str, names: list[str]) -> None:
    """A name list as Keras stores it: one attr, or key0, key1, … when it is too large."""
    data = np.asarray([n.encode("utf8") for n in names])
    chunks = 1
    while data.nbytes / chunks > HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        group.attrs[key] = data
        return
    for i, part in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{key}{i}"] = part


def _write_optimizer(f: h5py.File, model) -> None:
    optimizer = model.optimizer
    values = optimizer.variables
    if not values:
        return
    prefix = optimizer.name
    head = [f"{prefix}/iteration", f"{prefix}/learning_rate"][:len(optimizer.head_variables())]
    slots = []
    if optimizer.built:
        paths = _trainable_paths(model)
        slots = optimizer.order_slots({slot: [f"{prefix}/{p.replace('/', '_')}_{slot}"
                                              for p in paths]
                                       for slot in optimizer.active_slots()})
    _write_subset(f.create_group("optimizer_weights"), head + slots, values)


def _trainable_paths(model) -> list[str]:
    """The path of each of ``model.trainable_weights`` (the optimizer's order)."""
    by_id = {id(w): path for layer in model.layers
             for w, path in zip(_layer_weights(layer), weight_paths(layer, _scope(model)))}
    return [by_id.get(id(w), f"{model.name}/weight_{i}")
            for i, w in enumerate(model.trainable_weights)]


# ---- reading ------------------------------------------------------------------------------------
def load_model(path: str, compile: bool):
    """(model, the optimizer variables in Keras 3's order or None) from a legacy .h5 file."""
    with _open(path) as f:
        model_config = _json_attr(f, "model_config", path)
        if model_config is None:
            raise ModelFileError(_no_model_message(f, path))
        options = _json_attr(f, "rnnkit", path) or {}
        try:
            model = keras_format.model_from_legacy_json(model_config,
                                                        options.get("layer_options") or {})
        except keras_format.UnsupportedModelError as e:
            raise keras_format.UnsupportedModelError(f"{path}: {e}") from None
        model.metadata = dict(options.get("model_metadata") or {})
        if "model_weights" not in f:
            raise ModelFileError(f"{path} has a model config but no model_weights group; "
                                 f"it is truncated or was not written by model.save")
        read_weights(f["model_weights"], model, path)
        if not compile:
            return model, None
        training_config = _json_attr(f, "training_config", path)
        if training_config is None:
            # logged, as Keras 3 does: a model saved uncompiled is no mistake to raise on
            logging.getLogger("rnnkit").warning(
                f"{path}: no training configuration found in the save file, so the model was "
                f"*not* compiled; compile it manually")
            return model, None
        try:
            model.compile(**keras_format.compile_from_legacy(training_config))
        except (keras_format.UnsupportedModelError, ValueError) as e:
            raise keras_format.UnsupportedModelError(f"{path}: {e}") from None
        return model, _read_optimizer(f, model, path)


def _no_model_message(f: h5py.File, path: str) -> str:
    if _has_names(f, "layer_names") or ("layers" in f and "vars" in f):  # Keras 2 / 3 weights
        return (f"{path} holds weights only (no model config): build the model in code, then "
                f"call model.load_weights({path!r})")
    return (f"{path} is an HDF5 file but not a Keras model (no model_config attribute); "
            f"load_model reads files written by model.save('….h5') or '….keras'")


def load_weights(model, path: str) -> None:
    """Weights from a legacy .h5 file: a Keras 2 weights file or a whole model file."""
    with _open(path) as f:
        group = f
        if not _has_names(f, "layer_names") and "model_weights" in f:
            group = f["model_weights"]
        if not _has_names(group, "layer_names"):
            raise ModelFileError(f"{path} holds no Keras weights (no layer_names attribute); "
                                 f"load_weights reads files written by model.save_weights or "
                                 f"model.save")
        read_weights(group, model, path)


def _open(path: str) -> h5py.File:
    try:
        return open_h5(path, path)
    except ModelFileError as e:
        raise ModelFileError(f"{e}; load it from a file written by model.save or "
                             f"model.save_weights") from None


def read_weights(group: h5py.Group, model, source: str) -> None:
    """Assign the file's weights to ``model``'s layers by position; every count and shape is
    checked before anything is assigned, so a mismatch leaves the model as it was."""
    stored = [name for name in _read_names(group, "layer_names")
              if _read_names(_group(group, name, source), "weight_names")]
    layers = [layer for layer in model.layers if _layer_weights(layer)]
    if len(stored) != len(layers):
        raise WeightsMismatchError(f"{source} holds weights for {len(stored)} layers "
                                   f"({', '.join(stored) or 'none'}), but the model has "
                                   f"{len(layers)} layers with weights")
    assignments = []
    for name, layer in zip(stored, layers):
        layer_group = _group(group, name, source)
        values = [np.asarray(_dataset(layer_group, n, source))
                  for n in _read_names(layer_group, "weight_names")]
        weights = _layer_weights(layer)
        if len(values) != len(weights):
            raise WeightsMismatchError(f"{source}: layer {name!r} holds {len(values)} weights, "
                                       f"but {layer.name!r} ({type(layer).__name__}) has "
                                       f"{len(weights)}")
        for i, (w, value) in enumerate(zip(weights, values)):
            if value.shape != w.shape:
                raise WeightsMismatchError(f"{source}: layer {name!r} weight {i} has shape "
                                           f"{value.shape}, but {layer.name!r} expects "
                                           f"{w.shape}")
            assignments.append((w, value))
    for dst, src in assignments:
        dst[...] = src


def _group(group: h5py.Group, name: str, source: str) -> h5py.Group:
    if name not in group:
        raise ModelFileError(f"{source} names layer {name!r} but has no group for it; it is "
                             f"truncated or corrupt")
    return group[name]


def _dataset(group: h5py.Group, name: str, source: str):
    if name not in group:
        raise ModelFileError(f"{source}: {group.name} names weight {name!r} but has no "
                             f"dataset for it; it is truncated or corrupt")
    return group[name]


def _has_names(group, key: str) -> bool:
    return key in group.attrs or f"{key}0" in group.attrs


def _read_names(group, key: str) -> list[str]:
    if key in group.attrs:
        parts = [group.attrs[key]]
    else:
        parts, i = [], 0
        while f"{key}{i}" in group.attrs:
            parts.append(group.attrs[f"{key}{i}"])
            i += 1
    return [n.decode("utf8") if isinstance(n, bytes) else str(n)
            for part in parts for n in np.atleast_1d(part)]


def _json_attr(f: h5py.File, key: str, path: str):
    value = f.attrs.get(key)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf8", errors="replace")
    try:
        return json.loads(value)
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: the {key} attribute is not valid JSON ({e})") from None


# ---- optimizer weights ---------------------------------------------------------------------------
def _read_optimizer(f: h5py.File, model, path: str) -> list[np.ndarray] | None:
    """The optimizer's variables in Keras 3's order (None: the file has none, or their
    layout is one rnnkit cannot map, which is warned about)."""
    if "optimizer_weights" not in f:
        return None
    group = f["optimizer_weights"]
    names = _read_names(group, "weight_names")
    values = [np.asarray(_dataset(group, n, path)) for n in names]
    if not str(_text(f.attrs.get("keras_version", "1"))).startswith(("1", "2")):
        return values  # Keras 3 (or rnnkit): already its optimizer's variable list
    ordered = _keras2_to_keras3(names, values, model.optimizer)
    if ordered is None:
        warnings.warn(f"{path}: the optimizer weights are in a layout rnnkit does not know "
                      f"({', '.join(names[:3])}, …); training continues from fresh optimizer "
                      f"state", stacklevel=4)
    return ordered


def _text(value) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _keras2_to_keras3(names: list[str], values: list, optimizer) -> list | None:
    """tf.keras 2's [iteration, slots by name] as Keras 3's [iteration, learning_rate,
    slots in the optimizer's order]; the slots are matched to weights by the weight path in
    their names, in the order those paths first appear (the order of the trainable weights)."""
    if not names or names[0].split("/")[-1].split(":")[0] not in ("iter", "iteration"):
        return None
    slots: dict[str, dict[str, np.ndarray]] = {}
    order: list[str] = []
    for name, value in zip(names[1:], values[1:]):
        parsed = _keras2_slot(name)
        if parsed is None:
            return None
        slot, weight = parsed
        slots.setdefault(slot, {})[weight] = value
        if weight not in order:
            order.append(weight)
    wanted = optimizer.active_slots()
    if set(slots) != set(wanted) or any(len(slots[s]) != len(order) for s in wanted):
        return None
    ordered = optimizer.order_slots({s: [slots[s][w] for w in order] for s in wanted})
    head = [values[0]] + optimizer.head_variables()[1:]  # the learning rate: the config's
    return head + ordered


def _keras2_slot(name: str) -> tuple[str, str] | None:
    """('momentum', 'lstm/lstm_cell/kernel') from 'Adam/m/lstm/lstm_cell/kernel:0' (tf.keras
    2.11+) or 'Adam/lstm/lstm_cell/kernel/m:0' (Keras <= 2.10)."""
    parts = name.split(":")[0].split("/")[1:]
    if len(parts) >= 2 and parts[0] in _KERAS2_SLOTS:
        return _KERAS2_SLOTS[parts[0]], "/".join(parts[1:])
    if len(parts) >= 2 and parts[-1] in _KERAS2_SLOTS:
        return _KERAS2_SLOTS[parts[-1]], "/".join(parts[:-1])
    return None
