"""Keras 3's weights layout in HDF5 (model.weights.h5 and *.weights.h5).

    layers/<kind>/vars/0, 1, …          a layer's own weights, in Keras's order
    layers/<kind>/cell/vars/…           recurrent layers keep theirs on the cell
    layers/<kind>/forward_layer/cell/…  Bidirectional: forward_layer, backward_layer
    layers/<kind>/vars/idf_weights      an object with save_own_variables names its own
    layers/<kind>/_lookup_layer/vars/…  TextVectorization's vocabulary (string_lookup.py)
    optimizer/vars/0, 1, …              [iteration, learning_rate, slots…]
    vars                                the model's own (empty) group

``<kind>`` is the snake_case class name, numbered by order within the model: the first LSTM is
``lstm``, the second ``lstm_1`` — whatever the layers are called. Each ``vars`` group carries
the object's name as an attribute. This is the layout Keras 3's own saver writes.
"""

from __future__ import annotations

import h5py
import numpy as np

from ..naming import snake_case

# Attributes through which Keras reaches nested objects that own weights or assets.
_CHILD_ATTRIBUTES = ("cell", "forward_layer", "backward_layer", "_lookup_layer")


class WeightsMismatchError(ValueError):
    """The weights in a file do not fit the model (missing layer, wrong count or shape)."""


def keras_paths(layers) -> list[tuple[str, object]]:
    """(group name, layer) pairs with Keras's per-kind numbering: lstm, lstm_1, …"""
    used: dict[str, int] = {}
    out = []
    for layer in layers:
        kind = snake_case(type(layer).__name__)
        if kind in used:
            used[kind] += 1
            out.append((f"{kind}_{used[kind]}", layer))
        else:
            used[kind] = 0
            out.append((kind, layer))
    return out


def _children(obj) -> list[tuple[str, object]]:
    return [(a, getattr(obj, a)) for a in _CHILD_ATTRIBUTES if getattr(obj, a, None) is not None]


def object_paths(layers) -> list[tuple[str, object]]:
    """(path, object) for every layer and every nested object Keras saves state for:
    ``layers/lstm``, ``layers/lstm/cell``, ``layers/bidirectional/forward_layer`` … — the paths
    Keras's saving_lib gives a Sequential's layers, in the weights file and under ``assets/``."""
    out = []

    def visit(path, obj):
        out.append((path, obj))
        for attr, child in _children(obj):
            visit(f"{path}/{attr}", child)

    for key, layer in keras_paths(layers):
        visit(f"layers/{key}", layer)
    return out


def _own_weights(obj) -> list[np.ndarray]:
    """Weights held by ``obj`` itself, not through a child (an LSTM's are its cell's)."""
    if not hasattr(obj, "params") or (hasattr(obj, "built") and not obj.built):
        return []
    inherited = {id(w) for _, child in _children(obj) for w in _all_weights(child)}
    return [w for w in obj.params() if id(w) not in inherited]


def _all_weights(obj) -> list[np.ndarray]:
    if hasattr(obj, "built") and not obj.built:
        return []
    return obj.params() if hasattr(obj, "params") else []


def _object_name(obj) -> str:
    return getattr(obj, "name", None) or snake_case(type(obj).__name__)


# ---- writing ------------------------------------------------------------------------------------
def write_model(h5: h5py.File, model, include_optimizer: bool = True) -> None:
    layers = h5.create_group("layers")
    for key, layer in keras_paths(model.layers):
        _write_object(layers.create_group(key), layer)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        vars_group = h5.create_group("optimizer").create_group("vars")
        vars_group.attrs["name"] = optimizer.name
        for i, value in enumerate(optimizer.variables):
            vars_group[str(i)] = value
    h5.create_group("vars").attrs["name"] = model.name


def _own_variables(obj) -> dict:
    """What ``obj`` stores in its ``vars`` group: its weights as 0, 1, …, or, for an object with
    Keras's ``save_own_variables(store)`` (variables that are not weights, such as
    TextVectorization's idf weights), the names it chooses."""
    if hasattr(obj, "save_own_variables"):
        store: dict = {}
        obj.save_own_variables(store)
        return store
    return {str(i): w for i, w in enumerate(_own_weights(obj))}


def _write_object(group: h5py.Group, obj) -> None:
    vars_group = group.create_group("vars")
    vars_group.attrs["name"] = _object_name(obj)
    for key, value in _own_variables(obj).items():
        vars_group[key] = value
    for attr, child in _children(obj):
        _write_object(group.create_group(attr), child)


# ---- reading ------------------------------------------------------------------------------------
def read_model(h5: h5py.File, model, source: str) -> list[np.ndarray] | None:
    """Load every layer's weights from ``h5`` into ``model``; returns the optimizer's variables.

    All shapes are checked before anything is assigned, so a mismatch leaves the model as it was.
    """
    if "layers" not in h5:
        raise WeightsMismatchError(f"{source} holds no layer weights (no 'layers' group); it is "
                                   f"not a Keras 3 weights file")
    assignments: list[tuple[np.ndarray, np.ndarray]] = []
    loaders: list[tuple[object, dict, str]] = []
    paths = keras_paths(model.layers)
    for key, layer in paths:
        if key not in h5["layers"]:
            if _all_weights(layer):
                raise WeightsMismatchError(f"{source} has no weights for layer {layer.name!r} "
                                           f"({type(layer).__name__}) at layers/{key}")
            continue
        _collect(h5["layers"][key], layer, f"layers/{key}", source, (assignments, loaders))
    extra = sorted(set(h5["layers"]) - {key for key, _ in paths})
    if extra:
        raise WeightsMismatchError(f"{source} holds weights for layers the model lacks: "
                                   f"{', '.join(extra)}")
    # objects that read their own variables first: they may refuse them (then no weight moved)
    for obj, store, path in loaders:
        try:
            obj.load_own_variables(store)
        except (KeyError, ValueError) as e:
            raise WeightsMismatchError(f"{source}: {path}: {e}") from None
    for dst, src in assignments:
        dst[...] = src
    if "optimizer" in h5 and "vars" in h5["optimizer"]:
        group = h5["optimizer"]["vars"]
        return [np.asarray(group[str(i)]) for i in range(len(group))]
    return None


def _collect(group: h5py.Group, obj, path: str, source: str, out: tuple[list, list]) -> None:
    """For ``obj`` and its children: (weight, value) pairs, shapes checked, into ``out[0]``;
    (object, its stored variables, path) into ``out[1]`` for objects with Keras's
    ``load_own_variables(store)``."""
    stored = group["vars"] if "vars" in group else {}
    if hasattr(obj, "load_own_variables"):
        out[1].append((obj, {key: np.asarray(stored[key]) for key in stored}, f"{path}/vars"))
    else:
        _collect_weights(stored, obj, path, source, out[0])
    for attr, child in _children(obj):
        if attr not in group:
            if _all_weights(child):
                raise WeightsMismatchError(f"{source} has no {path}/{attr} group")
            continue
        _collect(group[attr], child, f"{path}/{attr}", source, out)


def _collect_weights(stored, obj, path: str, source: str, out: list) -> None:
    own = _own_weights(obj)
    if len(stored) != len(own):
        raise WeightsMismatchError(f"{source}: {path} holds {len(stored)} weight arrays, but "
                                   f"{_object_name(obj)!r} ({type(obj).__name__}) has {len(own)}")
    for i, w in enumerate(own):
        value = np.asarray(stored[str(i)])
        if value.shape != w.shape:
            raise WeightsMismatchError(f"{source}: {path}/vars/{i} has shape {value.shape}, but "
                                       f"{_object_name(obj)!r} expects {w.shape}")
        out.append((w, value))
