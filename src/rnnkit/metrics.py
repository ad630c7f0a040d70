"""Metrics with Keras 3's names and running-mean semantics.

A metric accumulates over an epoch: ``update_state(y_true, y_pred, sample_weight=None)`` adds one
batch, ``result()`` is the (weighted) mean over every sample seen since ``reset_state()``: with
weights w_i, total += Σ w_i·v_i and count += Σ w_i, Keras's ``Mean`` (v_i: sample i's values
averaged over its other axes). Metrics given to ``compile(metrics=…)`` are updated without the
weights and those in ``weighted_metrics`` with them, as Keras's CompileMetrics does. The string 'accuracy' (or 'acc')
resolves the way Keras's ``compile`` does, from the first batch's shapes: one output unit →
binary accuracy (threshold 0.5); labels of lower rank (or width 1) than the predictions →
sparse categorical accuracy; otherwise categorical accuracy.
"""

from __future__ import annotations

import numpy as np


class Metric:
    """A running mean of per-sample values; subclasses define ``values(y_true, y_pred)``."""

    default_name = "metric"
    #: which way is better, for callbacks in mode='auto'
    direction = "up"

    def __init__(self, name: str | None = None):
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = np.asarray(self.values(np.asarray(y_true), np.asarray(y_pred)), np.float64)
        values, weights = samplewise(values, sample_weight)
        self.total += float(values.sum())
        self.count += float(weights.sum()) if weights is not None else len(values)

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name}


class Mean(Metric):
    """Weighted mean of scalars: ``update_state(value, weight)`` (Keras's loss tracker)."""

    default_name = "mean"
    direction = "down"

    def update_state(self, value, sample_weight: float = 1.0) -> None:
        self.total += float(value) * float(sample_weight)
        self.count += float(sample_weight)


def samplewise(values: np.ndarray, sample_weight=None):
    """(per-sample values ⊙ weights, per-sample weights or None): Keras's
    reduce_to_samplewise_values with a mean. Weights meet values at the same rank (a (n,)
    weight against (n, 1) values gains the axis), values are averaged down to the weights' rank,
    multiplied, and both are averaged down to one entry per sample."""
    values = values.reshape(values.shape or (1,))
    if sample_weight is None:
        return _mean_after_first(values), None
    w = np.asarray(sample_weight, np.float64)
    if values.ndim == w.ndim + 1 and values.shape[-1] == 1:
        w = w[..., None] if w.ndim == 1 else w
        values = values if w.ndim == values.ndim else values[..., 0]
    elif w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    if values.ndim > w.ndim:
        values = values.mean(axis=tuple(range(w.ndim, values.ndim)))
    w = np.broadcast_to(w, values.shape)
    return _mean_after_first(values * w), _mean_after_first(w)


def _mean_after_first(a: np.ndarray) -> np.ndarray:
    return a.mean(axis=tuple(range(1, a.ndim))) if a.ndim > 1 else a


def _same_rank(y_true: np.ndarray, y_pred: np.ndarray):
    """Keras's squeeze_or_expand_to_same_rank for labels (n,) against outputs (n, 1)."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None], y_pred
    if y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        return y_true[..., 0], y_pred
    return y_true, y_pred


class BinaryAccuracy(Metric):
    """1 where (y_pred > threshold) equals the label, else 0."""

    default_name = "binary_accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5):
        self.threshold = float(threshold)
        super().__init__(name)

    def values(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return (y_true == (y_pred > self.threshold).astype(y_true.dtype)).astype(np.float32)


class SparseCategoricalAccuracy(Metric):
    """1 where argmax(y_pred) equals the integer label."""

    default_name = "sparse_categorical_accuracy"

    def values(self, y_true, y_pred):
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        return (y_true == y_pred.argmax(axis=-1).astype(y_true.dtype)).astype(np.float32)


class CategoricalAccuracy(Metric):
    """1 where argmax(y_pred) equals argmax(y_true) (one-hot targets)."""

    default_name = "categorical_accuracy"

    def values(self, y_true, y_pred):
        return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(np.float32)


class MeanSquaredError(Metric):
    default_name = "mean_squared_error"
    direction = "down"

    def values(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return np.mean(np.square(y_pred - y_true), axis=-1)


class MeanAbsoluteError(Metric):
    default_name = "mean_absolute_error"
    direction = "down"

    def values(self, y_true, y_pred):
        y_true, y_pred = _same_rank(y_true, y_pred)
        return np.mean(np.abs(y_pred - y_true), axis=-1)


_BY_NAME = {
    "binary_accuracy": BinaryAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
}
_BY_CLASS = {cls.__name__: cls for cls in set(_BY_NAME.values())}
ACCURACY_ALIASES = ("accuracy", "acc")


def check_identifier(identifier) -> None:
    """Fail at compile time, as Keras does, for a metric name nobody knows."""
    if isinstance(identifier, Metric) or identifier in ACCURACY_ALIASES or identifier in _BY_NAME:
        return
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return
    raise ValueError(f"unknown metric {identifier!r}; expected 'accuracy', one of "
                     f"{', '.join(repr(n) for n in _BY_NAME)} or a rnnkit.metrics.Metric")


def resolve(identifier, y_true: np.ndarray, y_pred: np.ndarray) -> Metric:
    """The Metric for ``identifier``, resolving 'accuracy' from the batch shapes like Keras."""
    check_identifier(identifier)
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return _BY_CLASS[identifier["class_name"]](**identifier.get("config", {}))
    if identifier in ACCURACY_ALIASES:
        return _accuracy_for(y_true, y_pred)(name=identifier)
    return _BY_NAME[identifier](name=identifier)


def _accuracy_for(y_true: np.ndarray, y_pred: np.ndarray) -> type[Metric]:
    # keras.src.trainers.compile_utils.is_binary_or_sparse_categorical
    if y_pred.shape[-1] == 1:
        return BinaryAccuracy
    if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def serialize(identifier):
    """compile_config form of a metric: its string, or a Keras config dict."""
    if isinstance(identifier, str):
        return identifier
    return {"module": "keras.metrics", "class_name": type(identifier).__name__,
            "config": identifier.get_config(), "registered_name": None}
