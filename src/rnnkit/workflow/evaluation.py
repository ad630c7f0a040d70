"""Test-set figures for metrics.json: accuracy, per-class precision/recall/F1, confusion matrix."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Model outputs → (n, classes) probabilities; one sigmoid unit becomes [1 − p, p]."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        return np.concatenate([1.0 - outputs, outputs], axis=1)
    return outputs


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class id per sample (p > 0.5 for a sigmoid unit, as Keras's binary accuracy counts)."""
    outputs = np.asarray(outputs)
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.int64)
    return outputs.argmax(axis=1).astype(np.int64)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts: row = true class, column = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # A class never predicted (or absent) has precision (recall) 0 by convention, not NaN.
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def classification_report(y_true: np.ndarray, outputs: np.ndarray,
                          class_names: Sequence[str]) -> dict:
    """Accuracy, per-class and macro precision/recall/F1 and the confusion matrix, as JSON data."""
    n = len(class_names)
    y_pred = predicted_classes(outputs)
    matrix = confusion_matrix(y_true, y_pred, n)
    tp = np.diag(matrix).astype(np.float64)
    precision = _ratio(tp, matrix.sum(axis=0).astype(np.float64))
    recall = _ratio(tp, matrix.sum(axis=1).astype(np.float64))
    f1 = _ratio(2 * precision * recall, precision + recall)
    per_class = {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for name, p, r, f, s in zip(class_names, precision, recall, f1, matrix.sum(axis=1))
    }
    present = matrix.sum(axis=1) > 0
    return {
        "accuracy": float(tp.sum() / max(len(y_pred), 1)),
        "per_class": per_class,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "confusion_matrix": matrix.tolist(),
    }
