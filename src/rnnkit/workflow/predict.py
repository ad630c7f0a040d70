"""``rnnkit predict``: raw texts → the run's encoder → the run's model → labelled probabilities."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .evaluation import class_probabilities
from .runs import Run


class PredictError(ValueError):
    """A text cannot be classified (e.g. it is empty)."""


def check_texts(texts: Sequence[str]) -> list[str]:
    if not texts:
        raise PredictError("no text to classify; pass texts as arguments, with --file FILE, "
                           "or on standard input")
    for i, text in enumerate(texts, start=1):
        if not text.strip():
            raise PredictError(f"text {i} is empty; give each text some words to classify")
    return list(texts)


def predict_texts(run: Run, texts: Sequence[str], model=None, encoder=None) -> np.ndarray:
    """(n, classes) probabilities for raw ``texts`` — the same numbers ``model.predict`` gives."""
    texts = check_texts(texts)
    model = model or run.model()
    x = (encoder or run.encoder()).encode(texts)
    return class_probabilities(model.predict(x, batch_size=256, verbose=0))


def display_names(run: Run, n_classes: int) -> list[str]:
    names = run.metrics().get("display_names") or run.config["data"].get("class_names") or []
    return list(names) if len(names) == n_classes else [str(i) for i in range(n_classes)]


def format_prediction(probabilities: np.ndarray, names: Sequence[str], top: int = 3) -> str:
    """``Positive (99.82%)`` for two classes; ``earn 92.10% · acq 3.20% · …`` (top k) otherwise."""
    order = np.argsort(-probabilities, kind="stable")
    if len(probabilities) == 2:
        best = order[0]
        return f"{names[best]} ({probabilities[best]:.2%})"
    return " · ".join(f"{names[i]} {probabilities[i]:.2%}" for i in order[:top])
