"""A trained text classifier as one object: raw texts in, labels and probabilities out.

``load_classifier(path)`` reads a run directory or a single ``.keras`` file that carries its
text encoding and classes; ``TextClassifier(recipe, **overrides).fit(texts, labels)`` trains one
in memory, as a scikit-learn estimator.
"""

from .loading import ClassifierError, load_classifier
from .text_classifier import TextClassifier

__all__ = ["ClassifierError", "TextClassifier", "load_classifier"]
