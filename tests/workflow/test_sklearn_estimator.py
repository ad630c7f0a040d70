"""``TextClassifier`` as a scikit-learn estimator: clone, cross_val_score, GridSearchCV, Pipeline.

scikit-learn itself is the judge here (its model-selection tools call the protocol); the data
is small and made here: each text's class shows in three signal words among filler.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit import TextClassifier, load_classifier
from rnnkit.classifier.text_classifier import NotFittedError

from .conftest import FILLER, WORDS

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

SMALL = dict(data__maxlen=10, data__num_words=60, train__epochs=6, train__learning_rate=0.02,
             model__layers__0__input_dim=60, model__layers__1__units=6)


def _data(labels=("neg", "pos"), n=90, seed=0):
    rng = np.random.default_rng(seed)
    texts, ys = [], []
    for i in range(n):
        label = labels[i % len(labels)]
        words = list(rng.choice(FILLER, 5)) + list(rng.choice(WORDS[["neg", "pos", "meh"][
            labels.index(label)]], 3))
        rng.shuffle(words)
        texts.append(" ".join(words))
        ys.append(label)
    return texts, ys


def test_clone_and_params_round_trip():
    estimator = TextClassifier(**SMALL, verbose=0)
    assert is_classifier(estimator)
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params() and copy is not estimator
    assert copy.set_params(train__epochs=2) is copy
    assert copy.get_params()["train__epochs"] == 2 and estimator.get_params()["train__epochs"] == 6
    assert repr(copy).startswith("TextClassifier(data__maxlen=10")


def test_unknown_or_mistyped_parameters_are_refused():
    with pytest.raises(ValueError, match="'train__epoch'.*unknown key 'train.epoch'"):
        TextClassifier().set_params(train__epoch=2)
    with pytest.raises(ValueError, match="expected a number"):
        TextClassifier().set_params(train__epochs="two")
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TextClassifier().predict(["a film"])


def test_cross_val_score_learns_the_signal():
    texts, labels = _data()
    scores = cross_val_score(TextClassifier(**SMALL), texts, labels, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8, scores


def test_grid_search_over_one_parameter_and_refit():
    texts, labels = _data()
    search = GridSearchCV(TextClassifier(**SMALL), {"train__epochs": [1, 6]}, cv=3)
    search.fit(texts, labels)
    assert search.best_params_ == {"train__epochs": 6}
    assert search.best_estimator_.score(texts, labels) > 0.8


def test_in_a_pipeline_with_nested_parameters():
    texts, labels = _data()
    pipe = Pipeline([("lower", FunctionTransformer(lambda ts: [t.upper() for t in ts])),
                     ("clf", TextClassifier(**SMALL))])
    search = GridSearchCV(pipe, {"clf__model__layers__1__units": [4, 6]}, cv=2).fit(texts, labels)
    assert search.best_params_["clf__model__layers__1__units"] in (4, 6)
    assert search.predict(texts[:3]).tolist() == search.best_estimator_.predict(texts[:3]).tolist()


@pytest.mark.parametrize("labels", [(0, 1), (3, 7, 11), ("neg", "pos", "meh")])
def test_labels_of_any_kind_are_the_classes_and_survive_a_file(labels, tmp_path):
    texts, ys = _data(labels)
    fitted = TextClassifier(**SMALL).fit(texts, ys)
    assert fitted.classes_.tolist() == sorted(labels)
    predicted = fitted.predict(texts)
    assert set(predicted.tolist()) <= set(labels) and type(predicted[0].item()) is type(labels[0])
    probabilities = fitted.predict_proba(texts)
    assert probabilities.shape == (len(texts), len(labels))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    fitted.save(tmp_path / "clf.keras")
    again = load_classifier(tmp_path / "clf.keras")
    assert again.classes_.tolist() == fitted.classes_.tolist()
    np.testing.assert_array_equal(again.predict_proba(texts), probabilities)


def test_fit_checks_its_inputs():
    with pytest.raises(ValueError, match="3 texts and 2 labels"):
        TextClassifier(**SMALL).fit(["a", "b", "c"], [0, 1])
    with pytest.raises(ValueError, match="at least two"):
        TextClassifier(**SMALL).fit(["a", "b"], [1, 1])


def test_texts_may_be_any_iterable_and_mistakes_are_named():
    texts, labels = _data()
    fitted = TextClassifier(**SMALL).fit(texts, labels)
    assert fitted.predict(t for t in texts[:3]).tolist() == fitted.predict(texts[:3]).tolist()
    with pytest.raises(TypeError, match=r"^predict\(\) takes an iterable of texts, got a single"):
        fitted.predict("a good film")
    with pytest.raises(ValueError, match="got no texts"):
        fitted.predict_proba([])
    with pytest.raises(ValueError, match="labels mix int, str"):
        TextClassifier(**SMALL).fit(texts[:4], [0, "x", 0, "x"])
    with pytest.raises(ValueError, match="no None"):
        TextClassifier(**SMALL).fit(texts[:4], [0, None, 0, 1])


def test_a_fitted_classifier_pickles_for_the_users_own_tools():
    """joblib and multiprocessing pickle estimators; rnnkit itself never loads a pickle."""
    import pickle
    texts, labels = _data()
    fitted = TextClassifier(**SMALL).fit(texts, labels)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(texts), fitted.predict_proba(texts))
