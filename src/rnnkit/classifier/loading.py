"""``load_classifier``: a run directory or one ``.keras`` file → a fitted ``TextClassifier``.

A model trained by this version carries its text encoding (its first layer) and its classes
(``model.metadata``), so the file alone is a classifier. Runs from before that are read with
their ``vocabulary.json`` and ``classes.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import UserError
from ..workflow.classes import Classes
from ..workflow.runs import Run
from .text_classifier import TextClassifier


class ClassifierError(UserError, ValueError):
    """The path holds no classifier (no model, no text encoding, or no classes)."""


def load_classifier(path: str | os.PathLike) -> TextClassifier:
    """The classifier of a run directory (``runs/default-<time>``) or of one model file."""
    path = Path(path)
    if path.is_dir():
        return _from_run(Run.open(path))
    return _from_file(path)


def _from_run(run: Run) -> TextClassifier:
    model = run.model()
    encoder = _encoder_of(model) or run.encoder()
    classes = _classes_of(model) or run.classes
    return _fitted(model, encoder, classes, run.name)


def _from_file(path: Path) -> TextClassifier:
    from ..saving import ModelFileError, UnsupportedModelError, load_model
    if not path.exists():
        raise ClassifierError(f"{path} does not exist; pass a run directory or a .keras file "
                              f"that `rnnkit train` (or TextClassifier.save) wrote")
    try:
        model = load_model(path)
    except (ModelFileError, UnsupportedModelError) as e:
        raise ClassifierError(str(e)) from None
    encoder, classes = _encoder_of(model), _classes_of(model)
    if encoder is None or classes is None:
        lacks = " and ".join(what for what, got in (("a text encoding layer", encoder),
                                                    ("its classes", classes)) if got is None)
        raise ClassifierError(f"{path} lacks {lacks}, so it cannot read raw text by itself; "
                              f"load its run directory instead (it has vocabulary.json and "
                              f"classes.json), or retrain with this rnnkit version")
    return _fitted(model, encoder, classes, model.metadata.get("recipe", "default"))


def _encoder_of(model):
    """The model's text encoding: its first preprocessing layer, if it reads text."""
    first = model.preprocessing_layers[:1]
    return first[0] if first and hasattr(first[0], "count_tokens") else None


def _classes_of(model) -> Classes | None:
    found = model.metadata.get("classes")
    return Classes(tuple(found["values"]), tuple(found["names"])) if found else None


def _fitted(model, encoder, classes: Classes, recipe: str) -> TextClassifier:
    classifier = TextClassifier(recipe=recipe)
    classifier._use(model, encoder, classes)
    return classifier
