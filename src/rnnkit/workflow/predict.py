"""``rnnkit predict``: raw texts → the run's encoder → the run's model → labelled probabilities.

Every input gets exactly one result, in input order. What the model could not see is said, not
hidden: a text with no word in the vocabulary gets the same answer as empty padding, and a text
longer than ``maxlen`` is cut to its last ``maxlen`` tokens (Keras's pre-truncation), so both
are flagged; an empty text gets a result that says so instead of failing the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import UserError
from .classes import Classes
from .evaluation import class_probabilities
from .runs import Run


class PredictError(UserError, ValueError):
    """Nothing to classify, or an input that cannot be read."""


@dataclass(frozen=True)
class Prediction:
    """One text's result: probabilities by class id, or why there are none."""

    text: str
    probabilities: np.ndarray | None     # (classes,), None for an empty text
    known_tokens: int
    unknown_tokens: int
    length: int                          # ids the encoder made, before padding or cutting
    maxlen: int

    @property
    def empty(self) -> bool:
        return self.probabilities is None

    @property
    def truncated(self) -> bool:
        return self.length > self.maxlen

    @property
    def best(self) -> int:
        return int(np.argmax(self.probabilities))

    def as_json(self, classes: Classes) -> dict:
        """The JSON Lines record of ``predict --json``."""
        record = {"text": self.text, "label": None, "label_value": None, "probability": None,
                  "probabilities": None, "known_tokens": self.known_tokens,
                  "unknown_tokens": self.unknown_tokens, "truncated": self.truncated,
                  "error": "empty text" if self.empty else None}
        if not self.empty:
            p = [float(v) for v in self.probabilities]
            record.update(label=classes.names[self.best], label_value=classes.values[self.best],
                          probability=p[self.best], probabilities=dict(zip(classes.names, p)))
        return record


def probabilities(model, encoder, texts: Sequence[str]) -> np.ndarray:
    """(n, classes) probabilities of raw ``texts`` (a sigmoid unit p becomes [1 − p, p])."""
    return class_probabilities(model.predict(encoder.encode(list(texts)), batch_size=256,
                                             verbose=0))


def predict_texts(run: Run, texts: Sequence[str], model=None, encoder=None) -> np.ndarray:
    """(n, classes) probabilities for raw non-empty ``texts`` — what ``model.predict`` gives."""
    texts = list(texts)
    blank = [i for i, t in enumerate(texts, start=1) if not t.strip()]
    if not texts or blank:
        raise PredictError(f"text {blank[0]} is empty; give each text some words to classify"
                           if blank else "no text to classify")
    return probabilities(model or run.model(), encoder or run.encoder(), texts)


def prediction_rows(model, encoder, texts: Sequence[str]) -> list[Prediction]:
    """One ``Prediction`` per text, in order; empty texts are marked, not sent to the model."""
    keep = [i for i, t in enumerate(texts) if t.strip()]
    found = probabilities(model, encoder, [texts[i] for i in keep]) if keep else []
    by_row = dict(zip(keep, found))
    counts = encoder.count_tokens(list(texts))
    return [Prediction(text, by_row.get(i), c.known, c.unknown, c.length, encoder.maxlen)
            for i, (text, c) in enumerate(zip(texts, counts, strict=True))]


def predict_rows(run: Run, texts: Sequence[str], model=None, encoder=None) -> list[Prediction]:
    """``prediction_rows`` with the run's model and encoder."""
    return prediction_rows(model or run.model(), encoder or run.encoder(), texts)


def format_prediction(probabilities: np.ndarray, names: Sequence[str], top: int = 3) -> str:
    """``Positive (99.82%)`` for two classes; ``earn 92.10% · acq 3.20% · …`` (top k) otherwise."""
    order = np.argsort(-probabilities, kind="stable")
    if len(probabilities) == 2:
        best = order[0]
        return f"{names[best]} ({probabilities[best]:.2%})"
    return " · ".join(f"{names[i]} {probabilities[i]:.2%}" for i in order[:top])


def format_row(prediction: Prediction, classes: Classes, top: int = 3) -> str:
    """The plain line of one result, with what the model could not see flagged."""
    if prediction.empty:
        return "(empty text: nothing to classify)"
    line = format_prediction(prediction.probabilities, classes.names, top)
    if prediction.known_tokens == 0:
        line += "  [no known word]"
    if prediction.truncated:
        line += f"  [cut to the last {prediction.maxlen} of {prediction.length} tokens]"
    return line
