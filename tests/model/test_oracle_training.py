"""Real Keras 3 as the oracle: same weights and data → same losses and weights, step by step.

Each model is built twice from the same code — once with ``rnnkit``, once with ``keras`` — and
Keras gets rnnkit's initial weights. Then both take the same optimizer steps. Losses and every
weight must agree within 1e-5 after each run (the observed gap is ~1e-7: float32 rounding).
"""

import numpy as np
import pytest

import rnnkit

from .conftest import copy_weights_to_keras, max_weight_diff

pytestmark = pytest.mark.oracle
TOL = 1e-5


def _lstm_model(lib, optimizer, loss="binary_crossentropy", metrics=("accuracy",)):
    """The notebook's architecture, small: Embedding → LSTM → Dense(1, sigmoid)."""
    model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8), lib.layers.LSTM(6),
                            lib.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def _twins(keras, build, optimizer_spec, **kwargs):
    name, options = optimizer_spec
    ours = build(rnnkit, getattr(rnnkit.optimizers, name)(**options), **kwargs)
    theirs = build(keras, getattr(keras.optimizers, name)(**options), **kwargs)
    copy_weights_to_keras(ours, theirs)
    return ours, theirs


OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.5}),
    ("SGD", {"learning_rate": 0.2, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.2, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "beta_1": 0.8, "amsgrad": True, "epsilon": 1e-4}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.05}),
    ("RMSprop", {"learning_rate": 0.01, "clipvalue": 0.01}),
    ("SGD", {"learning_rate": 0.5, "global_clipnorm": 0.1}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("spec", OPTIMIZERS, ids=lambda s: f"{s[0]}{sorted(s[1].items())}")
def test_optimizer_steps_match_keras(keras, token_batch, spec):
    x, y = token_batch
    ours, theirs = _twins(keras, _lstm_model, spec)
    for step in range(6):
        loss, acc = ours.train_on_batch(x[step % 2::2], y[step % 2::2])
        k_loss, k_acc = theirs.train_on_batch(x[step % 2::2], y[step % 2::2])
        assert abs(loss - k_loss) < TOL, f"step {step}: loss {loss} vs Keras {k_loss}"
        assert acc == pytest.approx(k_acc)
    assert max_weight_diff(ours, theirs) < TOL
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations.numpy())
    # the optimizer state itself: Keras's variable list, slot by slot
    for a, b in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(a, b.numpy(), atol=TOL)


def _softmax_gru(lib, optimizer, loss):
    model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8),
                            lib.layers.GRU(5, return_sequences=True),
                            lib.layers.Bidirectional(lib.layers.SimpleRNN(4)),
                            lib.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def _linear_head(lib, optimizer, loss):
    model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8, mask_zero=True),
                            lib.layers.LSTM(6), lib.layers.Dropout(0.0), lib.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


@pytest.mark.parametrize("loss, build, make_y", [
    ("sparse_categorical_crossentropy", _softmax_gru, lambda y: y % 3),
    ("categorical_crossentropy", _softmax_gru, lambda y: np.eye(3)[y % 3]),
    ("mse", _linear_head, lambda y: np.stack([y, 1 - y], 1) * 0.5),
])
def test_losses_match_keras(keras, token_batch, loss, build, make_y):
    x, labels = token_batch
    y = make_y(labels * np.arange(32))
    ours, theirs = _twins(keras, build, ("Adam", {"learning_rate": 0.02}), loss=loss)
    for step in range(4):
        ours_logs = ours.train_on_batch(x, y, return_dict=True)
        theirs_logs = theirs.train_on_batch(x, y, return_dict=True)
        for key, value in theirs_logs.items():
            assert abs(ours_logs[key] - float(value)) < TOL, (step, key)
    assert max_weight_diff(ours, theirs) < TOL


def test_from_logits_loss_matches_keras(keras, token_batch):
    x, y = token_batch

    def build(lib, optimizer):
        model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8),
                                lib.layers.GRU(4), lib.layers.Dense(1)])
        model.compile(optimizer=optimizer,
                      loss=lib.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
        return model

    ours, theirs = _twins(keras, build, ("RMSprop", {"learning_rate": 0.01}))
    for _ in range(4):
        np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y),
                                   atol=TOL)
    assert max_weight_diff(ours, theirs) < TOL


def test_fit_history_and_evaluate_match_keras(keras, token_batch):
    """A whole fit (unshuffled, several batches, validation) logs what Keras logs."""
    x, y = token_batch
    ours, theirs = _twins(keras, _lstm_model, ("RMSprop", {"learning_rate": 0.01}))
    kwargs = dict(epochs=3, batch_size=10, validation_data=(x[:20], y[:20]), shuffle=False,
                  verbose=0)
    ours_history = ours.fit(x, y, **kwargs).history
    theirs_history = theirs.fit(x, y, **kwargs).history
    assert list(ours_history) == list(theirs_history)
    for key in theirs_history:
        np.testing.assert_allclose(ours_history[key], theirs_history[key], atol=TOL, err_msg=key)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0),
                               atol=TOL)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=TOL)


def test_binary_crossentropy_value_clips_like_keras(keras):
    """Saturated probabilities: Keras clips to [1e-7, 1 − 1e-7] before the log; so do we."""
    y_true = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]], "float32")
    y_pred = np.array([[0.0], [1.0], [1e-9], [0.3], [1.0]], "float32")
    expected = float(keras.losses.BinaryCrossentropy()(y_true, y_pred))
    assert rnnkit.losses.BinaryCrossentropy()(y_true, y_pred) == pytest.approx(expected, rel=1e-6)


def test_accuracy_resolves_like_keras(keras):
    """'accuracy' → binary (1 unit, threshold 0.5), sparse (integer labels) or categorical."""
    cases = [(np.array([1, 0, 1]), np.array([[0.6], [0.5], [0.2]], "float32")),
             (np.array([2, 0, 1]), np.array([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1], [0.6, 0.3, 0.1]],
                                            "float32")),
             (np.eye(3)[[2, 1, 1]], np.array([[0.1, 0.2, 0.7], [0.5, 0.4, 0.1],
                                              [0.2, 0.7, 0.1]], "float32"))]
    from keras.src.trainers.compile_utils import get_metric
    for y_true, y_pred in cases:
        theirs = get_metric("accuracy", y_true, y_pred)
        theirs.update_state(y_true, y_pred)
        ours = rnnkit.metrics.resolve("accuracy", y_true, y_pred)
        ours.update_state(y_true, y_pred)
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.result() == pytest.approx(float(theirs.result()))
