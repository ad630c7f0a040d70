"""Loss gradients against central differences (float64), both the plain and the fused form."""

import numpy as np
import pytest

from rnnkit import losses
from rnnkit.activations import sigmoid, softmax
from rnnkit.gradcheck import numerical_gradient, relative_error

rng = np.random.default_rng(0)
PROBS = softmax(rng.normal(size=(6, 4)))
LOGITS = rng.normal(size=(6, 4))
INT_LABELS = rng.integers(0, 4, 6)
ONE_HOT = np.eye(4)[INT_LABELS]


@pytest.mark.parametrize("loss, y_true, y_pred", [
    (losses.BinaryCrossentropy(), rng.integers(0, 2, (6, 4)).astype(float), sigmoid(LOGITS)),
    (losses.BinaryCrossentropy(label_smoothing=0.2), rng.random((6, 4)), sigmoid(LOGITS)),
    (losses.BinaryCrossentropy(from_logits=True), rng.random((6, 4)), LOGITS),
    (losses.CategoricalCrossentropy(), ONE_HOT, PROBS * 1.3),          # unnormalized, as Keras
    (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), ONE_HOT, LOGITS),
    (losses.SparseCategoricalCrossentropy(), INT_LABELS, PROBS),
    (losses.SparseCategoricalCrossentropy(from_logits=True), INT_LABELS, LOGITS),
    (losses.MeanSquaredError(), rng.normal(size=(6, 4)), LOGITS),
])
def test_gradient_matches_numerical(loss, y_true, y_pred):
    y_true, y_pred = loss.standardize(y_true, y_pred.copy())
    analytic = loss.gradient(y_true, y_pred)
    numeric = numerical_gradient(lambda: loss.value(y_true, y_pred), y_pred, eps=1e-6)
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("loss, y_true, activation", [
    (losses.BinaryCrossentropy(), rng.integers(0, 2, (6, 4)).astype(float), sigmoid),
    (losses.BinaryCrossentropy(label_smoothing=0.3), rng.random((6, 4)), sigmoid),
    (losses.CategoricalCrossentropy(), ONE_HOT, softmax),
    (losses.CategoricalCrossentropy(label_smoothing=0.2), ONE_HOT, softmax),
    (losses.SparseCategoricalCrossentropy(), INT_LABELS, softmax),
])
def test_fused_gradient_is_the_chain_rule_through_the_activation(loss, y_true, activation):
    z = LOGITS.copy()
    y_true, _ = loss.standardize(y_true, activation(z))
    assert loss.fused_activation == activation.__name__
    analytic = loss.logits_gradient(y_true, activation(z))
    numeric = numerical_gradient(lambda: loss.value(y_true, activation(z)), z, eps=1e-6)
    assert relative_error(analytic, numeric) < 1e-6


def test_fused_gradient_stays_exact_where_probabilities_saturate():
    """σ(40) rounds to 1: the clipped value is flat there, the fused p − y is not."""
    loss = losses.BinaryCrossentropy()
    probs = sigmoid(np.array([[40.0], [-40.0]], "float32"))
    y = np.array([[0.0], [1.0]], "float32")
    np.testing.assert_array_equal(loss.gradient(y, probs), [[0.0], [0.0]])
    np.testing.assert_allclose(loss.logits_gradient(y, probs), [[0.5], [-0.5]])


def test_names_and_configs_round_trip():
    for name in ("binary_crossentropy", "categorical_crossentropy",
                 "sparse_categorical_crossentropy", "mse", "mean_squared_error"):
        loss = losses.get(name)
        assert losses.serialize(loss) == name
    custom = losses.BinaryCrossentropy(from_logits=True)
    spec = losses.serialize(custom)
    assert spec["class_name"] == "BinaryCrossentropy"
    again = losses.get({"class_name": spec["class_name"], "config": spec["config"]})
    assert again.get_config() == custom.get_config()
