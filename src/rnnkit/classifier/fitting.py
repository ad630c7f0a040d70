"""Train a recipe on texts and labels held in memory: no files, no run directory.

The same pieces as ``rnnkit train``: the recipe's text encoding fitted on the training texts
only, its model (seeded), its validation (a stratified holdout, or Keras's tail) and early
stopping with the best epoch's weights restored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..callbacks import EarlyStopping
from ..data.split import stratified_split_indices
from ..workflow.build import build_model
from ..workflow.data import fit_encoder, input_shape


def class_ids(labels: Sequence[Any]) -> tuple[list, np.ndarray]:
    """(classes sorted as ``np.unique`` sorts them, as plain Python values; id of each label)."""
    kinds = {type(label) for label in labels}
    if type(None) in kinds or len({_kind(k) for k in kinds}) > 1:
        raise ValueError(f"labels mix {', '.join(sorted(k.__name__ for k in kinds))}; give "
                         f"every label the same kind (all strings, or all numbers), no None")
    values, ids = np.unique(np.asarray(labels), return_inverse=True)
    if len(values) < 2:
        raise ValueError(f"labels hold {len(values)} class ({values.tolist()}); a classifier "
                         f"needs at least two")
    return values.tolist(), ids.astype(np.int64)


def _kind(cls: type) -> str:
    """Labels of one kind sort together: numbers (bool, int, float, NumPy's) or strings."""
    if issubclass(cls, (bool, int, float, np.number, np.bool_)):
        return "number"
    return "string" if issubclass(cls, (str, np.str_)) else cls.__name__


def fit_model(config: dict, texts: list[str], y: np.ndarray, n_classes: int, engine: str,
              verbose: int):
    """The recipe's model trained on ``texts`` (class ids ``y``); returns the fitted model."""
    data, train = config["data"], config["train"]
    train_idx, val_idx = _validation_indices(data, y)
    encoder = fit_encoder(data, [texts[i] for i in train_idx])
    x = encoder.encode(texts)
    model = build_model(config, input_shape(data), n_classes, engine, text_layer=encoder)
    validation = (x[val_idx], y[val_idx]) if val_idx is not None else None
    callbacks = [EarlyStopping(monitor=train["monitor"], patience=train["patience"],
                               restore_best_weights=train["restore_best_weights"])] \
        if train["early_stopping"] else []
    model.fit(x[train_idx], y[train_idx], batch_size=train["batch_size"], epochs=train["epochs"],
              validation_data=validation,
              validation_split=data["validation_split"] if data["validation"] == "last" else 0.0,
              callbacks=callbacks, verbose=verbose)
    return model


def _validation_indices(data: dict, y: np.ndarray):
    """(train indices, holdout indices or None): the recipe's stratified holdout, or all of it
    for ``validation = "last"`` (fit takes Keras's tail)."""
    everything = np.arange(len(y))
    if data["validation"] == "last":
        return everything, None
    share = data["validation_size"] / len(y) if data["validation_size"] else \
        data["validation_split"]
    try:
        return stratified_split_indices(y, share, seed=data["split_seed"])
    except ValueError as e:
        raise ValueError(f"{e} (data__validation_split / data__validation_size)") from None
