"""Loss gradients against central differences (float64), both the plain and the fused form;
label smoothing against real Keras and hand arithmetic."""

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
# Soft targets whose rows do not sum to 1 (check_targets accepts any value in [0, 1]); Keras's
# −Σ y·log p does not normalise them, so its gradient through softmax is p·Σy − y, not p − y.
UNNORMALISED = np.random.default_rng(1).random((6, 4))


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
    (losses.CategoricalCrossentropy(), UNNORMALISED, softmax),
    (losses.SparseCategoricalCrossentropy(), INT_LABELS, softmax),
])
def test_fused_gradient_is_the_chain_rule_through_the_activation(loss, y_true, activation):
    z = LOGITS.copy()
    y_true, _ = loss.standardize(y_true, activation(z))
    assert loss.fused_activation == activation.__name__
    analytic = loss.logits_gradient(y_true, activation(z))
    numeric = numerical_gradient(lambda: loss.value(y_true, activation(z)), z, eps=1e-6)
    assert relative_error(analytic, numeric) < 1e-6


def test_categorical_fused_gradient_by_hand_for_rows_not_summing_to_one():
    """dL/dz of mean_b(−Σ_k y·log softmax(z)) is (p·Σy − y) / B, by hand."""
    y = np.array([[0.5, 0.25, 0.0], [1.0, 1.0, 0.5]])
    z = np.array([[0.0, 0.0, 0.0], [0.0, np.log(2.0), np.log(3.0)]])
    p = softmax(z)                                   # rows (1/3, 1/3, 1/3) and (1/6, 2/6, 3/6)
    expected = np.array([[0.75 / 3 - 0.5, 0.75 / 3 - 0.25, 0.75 / 3],
                         [2.5 / 6 - 1.0, 5.0 / 6 - 1.0, 7.5 / 6 - 0.5]]) / 2
    loss = losses.CategoricalCrossentropy()
    yy, pp = loss.standardize(y, p)
    np.testing.assert_allclose(loss.logits_gradient(yy, pp), expected, rtol=1e-12, atol=1e-15)


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


# ---- label smoothing: Keras's definition, not just a self-consistent one -------------------------
# Keras smooths binary targets to y(1 − s) + s/2 and one-hot rows of k classes to y(1 − s) + s/k.
# The gradient tests above differentiate whatever the code defines, so they cannot tell those from
# another smoothing; these compare values and gradients with real Keras and with hand arithmetic.
S = 0.2
SMOOTHED = {
    "binary": (losses.BinaryCrossentropy, rng.integers(0, 2, (6, 4)).astype(np.float32), sigmoid),
    "categorical": (losses.CategoricalCrossentropy, ONE_HOT.astype(np.float32), softmax),
}


def keras_value_and_gradient(keras_loss, y_true, y_pred):
    """Keras's loss value and its autograd gradient with respect to ``y_pred``."""
    import torch

    pred = torch.tensor(y_pred, requires_grad=True)
    value = keras_loss(torch.tensor(y_true), pred)
    value.backward()
    return float(value.detach()), pred.grad.numpy()


@pytest.mark.oracle
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("kind", SMOOTHED)
def test_label_smoothing_equals_keras(keras, kind, from_logits):
    cls, y_true, activation = SMOOTHED[kind]
    z = LOGITS.astype(np.float32)
    y_pred = z if from_logits else activation(z)
    theirs = getattr(keras.losses, cls.__name__)(from_logits=from_logits, label_smoothing=S)
    k_value, k_grad = keras_value_and_gradient(theirs, y_true, y_pred)
    ours = cls(from_logits=from_logits, label_smoothing=S)
    y, p = ours.standardize(y_true, y_pred)
    assert ours.value(y, p) == pytest.approx(k_value, rel=1e-5), \
        f"{kind} label_smoothing={S}: the loss value is not Keras's (smoothed targets differ?)"
    np.testing.assert_allclose(ours.gradient(y, p), k_grad, rtol=1e-4, atol=1e-7,
                               err_msg=f"{kind} label_smoothing={S}: gradient is not Keras's")


@pytest.mark.oracle
@pytest.mark.parametrize("kind", SMOOTHED)
def test_smoothed_fused_gradient_equals_keras_through_the_activation(keras, kind):
    """dL/dz of Keras's loss on σ(z) / softmax(z), by torch autograd, against ``logits_gradient``."""
    import torch

    cls, y_true, activation = SMOOTHED[kind]
    z = torch.tensor(LOGITS.astype(np.float32), requires_grad=True)
    probs = torch.sigmoid(z) if kind == "binary" else torch.softmax(z, dim=-1)
    getattr(keras.losses, cls.__name__)(label_smoothing=S)(torch.tensor(y_true), probs).backward()
    ours = cls(label_smoothing=S)
    y, p = ours.standardize(y_true, activation(LOGITS.astype(np.float32)))
    np.testing.assert_allclose(ours.logits_gradient(y, p), z.grad.numpy(), rtol=1e-4, atol=1e-7,
                               err_msg=f"{kind}: the fused p − y must use Keras's smoothed y")


def test_binary_label_smoothing_by_hand():
    """y = 1, s = 0.2 → target 1·0.8 + 0.2/2 = 0.9 (not 1·0.8 + 0.2 = 1.0)."""
    loss = losses.BinaryCrossentropy(label_smoothing=0.2)
    expected = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))            # at p = 0.9: 0.325083
    assert loss([[1.0]], [[0.9]]) == pytest.approx(expected, rel=1e-12), \
        "binary smoothing must give y(1 − s) + s/2"
    with_logits = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    y, z = with_logits.standardize([[1.0]], [[0.0]])
    np.testing.assert_allclose(with_logits.gradient(y, z), [[0.5 - 0.9]], atol=1e-12,
                               err_msg="dL/dz = σ(0) − smoothed y = 0.5 − 0.9")


def test_categorical_label_smoothing_by_hand():
    """k = 4, s = 0.2: a one-hot row becomes [0.05, 0.85, 0.05, 0.05] (s/k, not s/(k − 1))."""
    loss = losses.CategoricalCrossentropy(label_smoothing=0.2)
    p = [[0.1, 0.6, 0.2, 0.1]]
    expected = -(0.05 * np.log(0.1) + 0.85 * np.log(0.6) + 0.05 * np.log(0.2)
                 + 0.05 * np.log(0.1))                             # 0.744932
    assert loss([[0.0, 1.0, 0.0, 0.0]], p) == pytest.approx(expected, rel=1e-12), \
        "categorical smoothing must give y(1 − s) + s/k"
    with_logits = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    y, z = with_logits.standardize([[0.0, 1.0, 0.0, 0.0]], np.zeros((1, 4)))
    np.testing.assert_allclose(with_logits.gradient(y, z), [[0.2, -0.6, 0.2, 0.2]], atol=1e-12,
                               err_msg="dL/dz = softmax(0) − smoothed y = 0.25 − y_s")


@pytest.mark.oracle
def test_categorical_fused_gradient_equals_keras_for_rows_not_summing_to_one(keras):
    """Keras's loss on softmax(z) with unnormalised soft targets: value, and dL/dz by autograd."""
    import torch

    y_true = UNNORMALISED.astype(np.float32)
    assert np.ptp(y_true.sum(axis=-1)) > 0.5
    z = torch.tensor(LOGITS.astype(np.float32), requires_grad=True)
    value = keras.losses.CategoricalCrossentropy()(torch.tensor(y_true), torch.softmax(z, dim=-1))
    value.backward()
    ours = losses.CategoricalCrossentropy()
    y, p = ours.standardize(y_true, softmax(LOGITS.astype(np.float32)))
    assert ours.value(y, p) == pytest.approx(float(value.detach()), rel=1e-5)
    np.testing.assert_allclose(ours.logits_gradient(y, p), z.grad.numpy(), rtol=1e-4, atol=1e-7,
                               err_msg="the fused gradient must be p·Σy − y, as Keras's is")


@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_non_finite_targets_read_as_fit_reports_them(loss):
    """A loss checking targets (train_on_batch, evaluate) names a bad one as fit's input check."""
    y_true = np.zeros((4, 3)) if loss == "categorical_crossentropy" else np.zeros((4, 1))
    y_true[2, 0] = np.nan
    y_pred = np.full((4, 3) if loss != "binary_crossentropy" else (4, 1), 0.5, np.float32)
    if loss == "sparse_categorical_crossentropy":
        y_true = y_true[:, 0]
    with pytest.raises(ValueError) as e:
        losses.get(loss).check_targets(y_true, (None,) + y_pred.shape[1:])
    assert str(e.value) == ("y contains NaN or infinite values in 1 sample(s) (first: sample 2); "
                            "clean or impute them first")
