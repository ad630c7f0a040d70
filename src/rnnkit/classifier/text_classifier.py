"""``TextClassifier``: raw texts in, labels out — loaded from a run or file, or fitted in memory.

It follows scikit-learn's estimator conventions without depending on scikit-learn: parameters
are the constructor's keywords (``recipe``, ``engine``, ``verbose`` and any recipe key, dots
written ``__``), ``get_params``/``set_params`` return and take exactly those, ``fit`` learns
attributes ending in ``_`` (``classes_``, ``model_``, ``encoder_``), ``predict`` returns items
of ``classes_`` and ``score`` is accuracy; so ``clone``, ``cross_val_score``, ``GridSearchCV``
and ``Pipeline`` work with it. Prediction writes nothing on the object: one loaded classifier
may serve many threads at once (the model's inference is pure).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.labels import label_key
from ..workflow.classes import Classes
from ..workflow.predict import Prediction, prediction_rows, probabilities
from . import fitting, params

_DEFAULTS = {"recipe": "default", "engine": "numpy", "verbose": 0}
_NAMED = tuple(_DEFAULTS)
_MISSING = object()


class NotFittedError(ValueError, AttributeError):
    """predict before fit (scikit-learn's NotFittedError has the same two bases)."""


class TextClassifier:
    """``TextClassifier(recipe="default", train__epochs=2).fit(texts, labels).predict(texts)``.

    Args:
        recipe: a shipped recipe's name (``rnnkit recipes``), a TOML file or a run's
            config.json: its text encoding, model and training settings.
        engine: ``"numpy"`` or ``"torch"``.
        verbose: Keras's ``fit`` verbosity (0: silent).
        **overrides: recipe keys, dots written ``__`` (``train__epochs=2``,
            ``data__maxlen=100``, ``model__layers__1__units=16``).
    """

    _estimator_type = "classifier"   # scikit-learn < 1.6 reads this

    def __init__(self, recipe: str = "default", engine: str = "numpy", verbose: int = 0,
                 **overrides):
        self.recipe, self.engine, self.verbose = recipe, engine, verbose
        self._overrides = dict(overrides)

    # ---- scikit-learn's parameter protocol --------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict:
        return {"recipe": self.recipe, "engine": self.engine, "verbose": self.verbose,
                **self._overrides}

    def set_params(self, **values) -> TextClassifier:
        overrides = {k: v for k, v in values.items() if k not in _NAMED}
        params.resolve(values.get("recipe", self.recipe), {**self._overrides, **overrides})
        for key in _NAMED:
            if key in values:
                setattr(self, key, values[key])
        self._overrides.update(overrides)
        return self

    def __sklearn_tags__(self):
        # Called by scikit-learn only, so scikit-learn is importable whenever this runs.
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags
        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(),
                    input_tags=InputTags(one_d_array=True, two_d_array=False, string=True))

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.get_params().items() if _DEFAULTS.get(k, _MISSING) != v}
        return f"TextClassifier({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    # ---- training --------------------------------------------------------------------------------
    def fit(self, texts, labels) -> TextClassifier:
        """Train the recipe on ``texts`` with ``labels`` (any hashable values: the classes)."""
        texts = _texts(texts, "fit")
        labels = list(labels)
        if len(labels) != len(texts):
            raise ValueError(f"fit got {len(texts)} texts and {len(labels)} labels; give one "
                             f"label per text")
        config = params.resolve(self.recipe, self._overrides)
        values, y = fitting.class_ids(labels)
        model = fitting.fit_model(config, texts, y, len(values), self.engine, self.verbose)
        model.metadata.update(classes={"values": values, "names": values},
                              recipe=config["name"])
        self._use(model, model.preprocessing_layers[0], Classes(tuple(values), tuple(values)))
        return self

    def _use(self, model, encoder, classes: Classes) -> None:
        """Become the classifier of ``model``, reading texts with ``encoder``."""
        self.model_, self.encoder_, self.classes = model, encoder, classes
        self.classes_ = np.asarray(classes.names)
        self.label_values_ = np.asarray(classes.values)

    # ---- prediction ------------------------------------------------------------------------------
    def predict_proba(self, texts) -> np.ndarray:
        """(n, classes) probabilities in ``classes_`` order; rows sum to 1 (two classes too).

        An empty text, or one without a known word, gets the model's answer for padding alone;
        ``predictions`` flags both.
        """
        self._require_fitted("predict_proba")
        return probabilities_of(self, _texts(texts, "predict_proba"))

    def predict(self, texts) -> np.ndarray:
        """The most probable class of each text (an item of ``classes_``)."""
        self._require_fitted("predict")
        probabilities = probabilities_of(self, _texts(texts, "predict"))
        return self.classes_[np.argmax(probabilities, axis=1)]

    def score(self, texts, labels) -> float:
        """Accuracy on ``labels`` given as label values or display names, in any spelling of
        the same value (``1``, ``"1"``); a label that is not a class is an error, never a miss."""
        self._require_fitted("score")
        texts, labels = _texts(texts, "score"), list(labels)
        if len(labels) != len(texts):
            raise ValueError(f"score got {len(texts)} texts and {len(labels)} labels; give one "
                             f"label per text")
        wanted = class_ids(self.classes, labels)
        found = np.argmax(probabilities_of(self, texts), axis=1)
        return float(np.mean(found == wanted))

    def predictions(self, texts) -> list[Prediction]:
        """Per text: probabilities, known/unknown tokens, cut by maxlen, or empty — what
        ``rnnkit predict`` prints."""
        self._require_fitted("predictions")
        return prediction_rows(self.model_, self.encoder_, _texts(texts, "predictions"))

    def predict_details(self, texts) -> list[dict]:
        """``predictions`` as the records of ``rnnkit predict --json``."""
        return [p.as_json(self.classes) for p in self.predictions(texts)]

    def explain(self, text: str, method: str = "integrated-gradients", target=None,
                steps: int | None = None, engine: str | None = None):
        """Which words of ``text`` moved the prediction: an ``rnnkit.insight.Explanation`` with
        one attribution per token (None for words the model never saw).

        Args:
            method: "integrated-gradients" (default), "gradient-x-input" or "occlusion".
            target: the class to explain, an item of ``classes_`` or a label value (default:
                the predicted class).
            steps: integrated gradients' trapezoid intervals (default
                ``rnnkit.insight.DEFAULT_STEPS``).
            engine: whose gradient, "numpy" (hand-written BPTT) or "torch" (autograd); default
                the classifier's ``engine``.
        """
        from ..insight import explain
        self._require_fitted("explain")
        if not isinstance(text, str):
            raise TypeError(f"explain() takes one text (a str), got a {type(text).__name__}")
        return explain(self.model_, self.encoder_, text, method=method,
                       target=None if target is None else self._class_id(target), steps=steps,
                       engine=engine or self.engine, class_names=self.classes.names)

    def _class_id(self, target) -> int:
        """The class id of a display name or a label value (1 and "1" alike, as in training)."""
        from ..data.labels import label_key
        for spell in (lambda label: label, label_key):
            for labels in (self.classes.names, self.classes.values):
                spelled = [spell(label) for label in labels]
                if spell(target) in spelled:
                    return spelled.index(spell(target))
        from ..insight import ExplainError
        raise ExplainError(f"target {target!r} is not one of the classes "
                           f"{list(self.classes.names)}")

    def save(self, filepath, overwrite: bool = True) -> None:
        """One ``.keras`` file that reads raw text: ``load_classifier(filepath)`` restores it."""
        self._require_fitted("save")
        self.model_.save(filepath, overwrite=overwrite)

    def _require_fitted(self, what: str) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this TextClassifier is not fitted yet; call fit(texts, "
                                 f"labels) (or load one with rnnkit.load_classifier) before "
                                 f"{what}()")


def probabilities_of(classifier: TextClassifier, texts: list[str]) -> np.ndarray:
    return probabilities(classifier.model_, classifier.encoder_, texts)


def class_ids(classes: Classes, labels) -> np.ndarray:
    """Class ids of ``labels`` spelled as values or names (``label_key``: 1 and "1" alike)."""
    lookup = {label_key(name): i for i, name in enumerate(classes.names)}
    lookup.update({label_key(value): i for i, value in enumerate(classes.values)})
    keys = [label_key(label) for label in labels]
    unknown = sorted(set(keys) - lookup.keys())
    if unknown:
        raise ValueError(f"labels {unknown[:5]} are not this classifier's classes "
                         f"{list(classes.names)}; score with labels among them")
    return np.array([lookup[k] for k in keys], dtype=np.int64)


def _texts(texts: Any, what: str) -> list[str]:
    """A list of str from any iterable of texts (scikit-learn passes lists and arrays)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{what}() takes an iterable of texts, got a single string; wrap it "
                        f"in a list: [{texts[:30]!r}]")
    if isinstance(texts, np.ndarray):
        texts = list(texts.reshape(-1))
    elif not isinstance(texts, list):
        try:
            texts = list(texts)
        except TypeError:
            raise TypeError(f"{what}() takes an iterable of texts (a list of strings), got a "
                            f"{type(texts).__name__}") from None
    if not texts:
        raise ValueError(f"{what}() got no texts; pass a list with at least one string")
    bad = next(((i, t) for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(f"{what}(): text {bad[0]} is a {type(bad[1]).__name__} ({bad[1]!r}), "
                        f"not a string")
    return texts

