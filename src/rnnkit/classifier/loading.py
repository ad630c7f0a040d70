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
from ..workflow.runs import CONFIG, Run
from .text_classifier import TextClassifier


class ClassifierError(UserError, ValueError):
    """The path holds no classifier (no model, no text encoding, or no classes)."""


def load_classifier(path: str | os.PathLike, classes=None) -> TextClassifier:
    """The classifier of a run directory (``runs/default-<time>``) or of one model file.

    ``classes`` (the label of each output, in order) is needed only for a model file that
    does not name them, such as a model built by hand with a ``TextVectorization`` first.
    """
    path = Path(path)
    given = _given_classes(classes)
    if path.is_dir():
        return _from_run(Run.open(path), given)
    return _from_file(path, given)


def _given_classes(classes) -> Classes | None:
    if classes is None:
        return None
    values = tuple(classes.values if isinstance(classes, Classes) else classes)
    return classes if isinstance(classes, Classes) else Classes(values, values)


def _from_run(run: Run, given: Classes | None) -> TextClassifier:
    model = run.model()
    encoder = _encoder_of(model) or run.encoder()
    classes = given or _classes_of(model) or run.classes
    # the run's own resolved config: fit() on this classifier retrains exactly that recipe
    return _fitted(model, encoder, _checked(classes, model, run.path), str(run.path / CONFIG))


def _from_file(path: Path, given: Classes | None) -> TextClassifier:
    from ..saving import ModelFileError, UnsupportedModelError, load_model
    if not path.exists():
        raise ClassifierError(f"{path} does not exist; pass a run directory or a .keras file "
                              f"that `rnnkit train` (or TextClassifier.save) wrote")
    try:
        model = load_model(path)
    except (ModelFileError, UnsupportedModelError) as e:
        raise ClassifierError(str(e)) from None
    encoder, classes = _encoder_of(model), given or _classes_of(model)
    if encoder is None:
        raise ClassifierError(f"{path} has no text layer first, so it cannot read raw text; "
                              f"load its run directory (it has vocabulary.json), or put a text "
                              f"layer such as layers.TextVectorization first in the model")
    if classes is None:
        raise ClassifierError(f"{path} does not name its classes; pass them: "
                              f"load_classifier(path, classes=[…]) with the label of each "
                              f"output in order (two for one sigmoid unit)")
    return _fitted(model, encoder, _checked(classes, model, path),
                   model.metadata.get("recipe", "default"))


def _checked(classes: Classes, model, where) -> Classes:
    outputs = model.output_shape[-1]
    if len(classes.values) != (2 if outputs == 1 else outputs):
        raise ClassifierError(f"{where}: {len(classes.values)} classes given for a model with "
                              f"{outputs} output(s); give one per output (two for one sigmoid "
                              f"unit)")
    return classes


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
