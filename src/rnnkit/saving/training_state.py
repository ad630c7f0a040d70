"""Everything a ``fit`` depends on, taken from a running fit and put back into another one.

A training backup (backup.py) holds what this module captures:

* the weights and the optimizer's variables (iterations, learning rate — ReduceLROnPlateau's
  changes included —, every slot), in Keras's weights layout;
* every random generator: each layer's own (dropout and recurrent-dropout masks; found by walking
  the layers, a Bidirectional's directions and the cells), the engine's (the torch engine's
  on-device mask generator), rnnkit's root generator, NumPy's legacy global one and Python's
  ``random``; the shuffling generator is the loop's;
* the loop's position (``FitLoop.state``): the next epoch, or the epoch and the next batch with the
  generator state that draws that epoch's batch order again;
* inside an epoch, the running sums of the epoch's metrics;
* each callback's ``get_state()`` (EarlyStopping's wait, best and best weights, ModelCheckpoint's
  best, ReduceLROnPlateau's wait and cooldown, History, a run's history file), keyed by class
  name and the count of earlier callbacks of that class.

``apply`` checks that the backup fits the model before it changes anything it can check (layer
weights, optimizer shapes, generators), so a backup of another model is refused in one line.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from ..layers import Layer
from ..layers.cells import RecurrentCell
from ..random import (
    generator_state,
    global_states,
    set_generator_state,
    set_global_states,
)
from . import h5_layout
from .files import h5_bytes, open_h5


class BackupWarning(UserWarning):
    """A backup was usable only in part: a newer one was damaged, or callbacks differ."""


def capture(model, at_epoch_end: bool) -> tuple[dict, bytes]:
    """(state as JSON values and arrays, the weights file's bytes) of the running fit."""
    loop = model.fit_loop
    state = {
        "engine": model.engine.name,
        "loop": loop.state(at_epoch_end, bool(model.stop_training)),
        "random": {"global": global_states(),
                   "layers": {path: generator_state(g) for path, g in generators(model).items()},
                   "engine": model.engine.random_state()},
        "metrics": None if at_epoch_end else model.step_metrics.get_state(),
        "callbacks": {key: s for key, cb in _keyed(loop.callbacks)
                      if (s := cb.get_state()) is not None},
    }
    return state, h5_bytes(lambda h5: h5_layout.write_model(h5, model))


def apply(model, state: dict, weights: bytes, source: str) -> None:
    """Put a captured fit back into ``model`` and its running fit (``model.fit_loop``)."""
    loop = model.fit_loop
    found = generators(model)
    saved = state["random"]["layers"]
    if set(found) != set(saved):
        raise ValueError(f"{source} was made by another model: its random generators are "
                         f"{sorted(saved)}, this model's {sorted(found)}")
    if state["engine"] != model.engine.name:
        warnings.warn(f"{source} was made on the {state['engine']} engine and this fit runs on "
                      f"{model.engine.name}: it continues equal to rounding, not bit for bit",
                      BackupWarning, stacklevel=4)
    with open_h5(io.BytesIO(weights), f"{source}:model.weights.h5") as h5:
        optimizer_values = _checked_optimizer_values(model, h5, source)
        h5_layout.read_model(h5, model, source)     # every shape checked, then assigned
    _restore_optimizer(model.optimizer, optimizer_values, model.trainable_weights)
    for path, generator in found.items():
        set_generator_state(generator, saved[path])
    set_global_states(state["random"]["global"])
    model.engine.set_random_state(state["random"]["engine"])
    model.engine.state_restored()
    loop.restore(state["loop"], model)
    if state["metrics"] is not None:
        model.step_metrics.set_state(state["metrics"])
    _restore_callbacks(loop.callbacks, state["callbacks"], source)


def generators(model) -> dict[str, np.random.Generator]:
    """Every NumPy generator the model's layers hold, by path: ``layers/2/rng``,
    ``layers/3/forward_layer/rng`` … (index paths: names differ between processes)."""
    found: dict[str, np.random.Generator] = {}

    def visit(path: str, obj, seen: set) -> None:
        for name, value in vars(obj).items():
            if isinstance(value, np.random.Generator):
                found[f"{path}/{name}"] = value
            elif isinstance(value, (Layer, RecurrentCell)) and id(value) not in seen:
                seen.add(id(value))
                visit(f"{path}/{name}", value, seen)

    for i, layer in enumerate(model.layers):
        visit(f"layers/{i}", layer, {id(layer)})
    return found


def _keyed(callbacks) -> list[tuple[str, object]]:
    """(key, callback): ``EarlyStopping``, a second one ``EarlyStopping#1`` …"""
    counts: dict[str, int] = {}
    out = []
    for cb in callbacks:
        name = type(cb).__name__
        n = counts.get(name, 0)
        counts[name] = n + 1
        out.append((name if n == 0 else f"{name}#{n}", cb))
    return out


def _restore_callbacks(callbacks, saved: dict, source: str) -> None:
    stateful = {key: cb for key, cb in _keyed(callbacks) if cb.get_state() is not None}
    missing, extra = sorted(set(saved) - set(stateful)), sorted(set(stateful) - set(saved))
    if missing or extra:
        warnings.warn(f"{source}: the callbacks differ from the backed-up fit's (saved for "
                      f"{', '.join(missing) or 'none missing'}; none saved for "
                      f"{', '.join(extra) or 'none new'}): those start afresh",
                      BackupWarning, stacklevel=5)
    for key, cb in stateful.items():
        if key in saved:
            cb.set_state(saved[key])


def _checked_optimizer_values(model, h5, source: str) -> list[np.ndarray]:
    """The saved optimizer variables, after checking they fit the optimizer (nothing changed)."""
    if "optimizer" not in h5 or "vars" not in h5["optimizer"]:
        raise ValueError(f"{source} holds no optimizer state")
    group = h5["optimizer"]["vars"]
    values = [np.asarray(group[str(i)]) for i in range(len(group))]
    optimizer = model.optimizer
    if len(values) == 2:
        return values                   # saved before the optimizer had slots
    shapes = [(), ()] + [np.shape(w) for w in model.trainable_weights
                         for _ in optimizer.active_slots()]
    name = type(optimizer).__name__
    if len(values) != len(shapes):
        raise ValueError(f"{source} holds {len(values)} optimizer variables; this model's {name} "
                         f"has {len(shapes)}: the backup was made by another model")
    if sorted(map(np.shape, values)) != sorted(shapes):
        raise ValueError(f"{source}: its optimizer variables have other shapes than this "
                         f"model's {name}'s: the backup was made by another model")
    return values


def _restore_optimizer(optimizer, values: list[np.ndarray], weights: list[np.ndarray]) -> None:
    if len(values) == 2:                # saved before the first step: slots come with the next
        optimizer.built, optimizer.slots = False, {}
        optimizer.iterations, optimizer.learning_rate = int(values[0]), float(values[1])
        return
    if not optimizer.built:
        optimizer.build(weights)
    optimizer.set_variables(values)     # iterations, learning rate, every slot
