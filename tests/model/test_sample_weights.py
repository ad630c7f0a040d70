"""``class_weight`` and ``sample_weight`` against real Keras 3: the same losses, the same
metrics (loss tracker, plain metrics, ``weighted_metrics``) and the same weights, step by step
and over whole ``fit`` histories, on both engines; plus the rules by hand."""

import json
import zipfile

import numpy as np
import pytest

import rnnkit

from .conftest import copy_weights_to_keras, max_weight_diff

TOL = 1e-5
ENGINES = ["numpy", "torch"]
pytestmark = pytest.mark.filterwarnings("ignore:rnnkit torch engine")   # cuDNN-off notices


def _binary(lib, optimizer, engine=None, weighted=("accuracy",)):
    model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8, mask_zero=True),
                            lib.layers.GRU(6), lib.layers.Dense(1, activation="sigmoid")])
    _compile(model, optimizer, "binary_crossentropy", engine, weighted)
    return model


def _softmax(lib, optimizer, engine=None, loss="sparse_categorical_crossentropy",
             weighted=("accuracy",)):
    model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8),
                            lib.layers.Conv1D(6, 3, activation="relu"),
                            lib.layers.GlobalMaxPooling1D(),
                            lib.layers.Dense(3, activation="softmax")])
    _compile(model, optimizer, loss, engine, weighted)
    return model


def _compile(model, optimizer, loss, engine, weighted):
    options = {} if engine is None else {"engine": engine}
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"],
                  weighted_metrics=list(weighted), **options)


def _twins(keras, build, engine, **kwargs):
    ours = build(rnnkit, rnnkit.optimizers.Adam(0.01), engine, **kwargs)
    theirs = build(keras, keras.optimizers.Adam(0.01), **kwargs)
    copy_weights_to_keras(ours, theirs)
    return ours, theirs


def _assert_logs_equal(ours: dict, theirs: dict, where):
    assert list(ours) == list(theirs), where
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], np.asarray(value, np.float64), atol=TOL,
                                   err_msg=f"{where}: {key}")


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 50, (32, 12))
    x[:10, :4] = 0
    return x, rng.integers(0, 2, 32), rng.uniform(0.0, 3.0, 32).astype("float32")


# ---- against Keras ---------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("engine", ENGINES)
def test_weighted_train_and_test_steps_equal_keras(keras, batch, engine):
    x, y, w = batch
    ours, theirs = _twins(keras, _binary, engine)
    for step in range(4):
        rows = slice(step % 2, None, 2)
        _assert_logs_equal(ours.train_on_batch(x[rows], y[rows], sample_weight=w[rows],
                                               return_dict=True),
                           theirs.train_on_batch(x[rows], y[rows], sample_weight=w[rows],
                                                 return_dict=True), f"step {step}")
    _assert_logs_equal(ours.test_on_batch(x, y, sample_weight=w, return_dict=True),
                       theirs.test_on_batch(x, y, sample_weight=w, return_dict=True), "test")
    np.testing.assert_allclose(ours.evaluate(x, y, sample_weight=w, batch_size=7, verbose=0),
                               theirs.evaluate(x, y, sample_weight=w, batch_size=7, verbose=0),
                               atol=TOL)
    assert max_weight_diff(ours, theirs) < TOL


@pytest.mark.oracle
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("loss, labels", [
    ("sparse_categorical_crossentropy", lambda y: y),
    ("categorical_crossentropy", lambda y: np.eye(3)[y]),      # the class is the row's argmax
])
def test_class_weight_steps_equal_keras(keras, batch, engine, loss, labels):
    x, _, _ = batch
    y = labels(np.arange(32) % 3)
    ours, theirs = _twins(keras, _softmax, engine, loss=loss)
    class_weight = {0: 0.5, 2: 4.0}                       # class 1 keeps weight 1.0
    for step in range(3):
        _assert_logs_equal(ours.train_on_batch(x, y, class_weight=class_weight,
                                               return_dict=True),
                           theirs.train_on_batch(x, y, class_weight=class_weight,
                                                 return_dict=True), f"step {step}")
    assert max_weight_diff(ours, theirs) < TOL


@pytest.mark.oracle
@pytest.mark.parametrize("engine", ENGINES)
def test_fit_history_with_class_weight_equals_keras(keras, batch, engine):
    """Several batches (the last one short), validation weighted by its own third element."""
    x, y, w = batch
    ours, theirs = _twins(keras, _binary, engine)
    kwargs = {"epochs": 3, "batch_size": 10, "shuffle": False, "verbose": 0,
              "class_weight": {0: 0.25, 1: 2.0}, "validation_data": (x[:12], y[:12], w[:12])}
    ours_history, theirs_history = ours.fit(x, y, **kwargs).history, \
        theirs.fit(x, y, **kwargs).history
    assert list(ours_history) == list(theirs_history)
    for key, values in theirs_history.items():
        np.testing.assert_allclose(ours_history[key], values, atol=TOL, err_msg=key)
    assert max_weight_diff(ours, theirs) < TOL


@pytest.mark.oracle
@pytest.mark.parametrize("engine", ENGINES)
def test_fit_history_with_sample_weight_and_validation_split_equals_keras(keras, batch, engine):
    """validation_split takes the weights' last fraction too, and weighs validation with it."""
    x, _, w = batch
    ours, theirs = _twins(keras, _softmax, engine)
    labels = np.arange(32) % 3
    kwargs = {"epochs": 2, "batch_size": 8, "shuffle": False, "verbose": 0, "sample_weight": w,
              "validation_split": 0.25}
    ours_history = ours.fit(x, labels, **kwargs).history
    theirs_history = theirs.fit(x, labels, **kwargs).history
    assert list(ours_history) == list(theirs_history)
    for key, values in theirs_history.items():
        np.testing.assert_allclose(ours_history[key], values, atol=TOL, err_msg=key)


@pytest.mark.oracle
def test_metric_names_and_evaluate_order_equal_keras(keras, batch):
    """The same metric in both lists: Keras logs ``weighted_accuracy`` and evaluate returns its
    odd list ([loss, accuracy, accuracy, …, weighted_accuracy]); a repeated plain metric is
    numbered."""
    x, y, w = batch

    def build(lib, optimizer, engine=None):
        model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 4),
                                lib.layers.GlobalAveragePooling1D(),
                                lib.layers.Dense(1, activation="sigmoid")])
        options = {} if engine is None else {"engine": engine}
        model.compile(optimizer=optimizer, loss="binary_crossentropy",
                      metrics=["accuracy", "mse", "mse"], weighted_metrics=["accuracy", "mae"],
                      **options)
        return model

    ours, theirs = _twins(keras, build, "numpy")
    _assert_logs_equal(ours.train_on_batch(x, y, sample_weight=w, return_dict=True),
                       theirs.train_on_batch(x, y, sample_weight=w, return_dict=True), "logs")
    np.testing.assert_allclose(ours.evaluate(x, y, sample_weight=w, verbose=0),
                               theirs.evaluate(x, y, sample_weight=w, verbose=0), atol=TOL)


@pytest.mark.oracle
def test_weighted_metrics_cross_files_both_ways(keras, batch, tmp_path):
    x, y, w = batch
    ours, theirs = _twins(keras, _binary, "numpy")
    ours.train_on_batch(x, y, sample_weight=w)
    ours.save(tmp_path / "ours.keras")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    _assert_logs_equal(ours.test_on_batch(x, y, sample_weight=w, return_dict=True),
                       loaded.test_on_batch(x, y, sample_weight=w, return_dict=True), "ours")
    theirs.save(tmp_path / "theirs.keras")
    with zipfile.ZipFile(tmp_path / "theirs.keras") as zf:
        assert json.loads(zf.read("config.json"))["compile_config"]["weighted_metrics"]
    back = rnnkit.models.load_model(tmp_path / "theirs.keras")
    _assert_logs_equal(back.test_on_batch(x, y, sample_weight=w, return_dict=True),
                       theirs.test_on_batch(x, y, sample_weight=w, return_dict=True), "theirs")


# ---- by hand -----------------------------------------------------------------------------------
def test_weighted_loss_divides_by_the_count_not_the_weights():
    """sum_over_batch_size: L = Σ w_i ℓ_i / N; the gradient of sample i is w_i times its own."""
    loss = rnnkit.losses.BinaryCrossentropy()
    y = np.array([[1.0], [0.0], [1.0]])
    p = np.array([[0.8], [0.4], [0.3]])
    w = np.array([2.0, 0.0, 0.5])
    ell = -np.log([0.8, 0.6, 0.3])
    assert loss(y, p, sample_weight=w) == pytest.approx(np.sum(w * ell) / 3, rel=1e-12)
    np.testing.assert_allclose(loss.gradient(y, p, w), loss.gradient(y, p) * w[:, None])
    np.testing.assert_allclose(loss.logits_gradient(y, p, w[:, None]),
                               (p - y) * w[:, None] / 3, rtol=1e-12)


def test_class_weight_becomes_sample_weights_as_keras_makes_them():
    from rnnkit.data_adapter import class_weight_to_sample_weights as convert
    np.testing.assert_array_equal(convert(np.array([0, 1, 1, 2]), {1: 3.0}), [1, 3, 3, 1])
    np.testing.assert_array_equal(convert(np.array([[0.9], [0.2]]), {1: 5.0, 0: 0.5}),
                                  [5.0, 0.5])                         # labels are rounded
    np.testing.assert_array_equal(convert(np.eye(3)[[2, 0]], {2: 7.0}), [7.0, 1.0])


def test_unweighted_metrics_ignore_the_weights(batch):
    """``metrics`` take no weights; only ``weighted_metrics`` and the loss do."""
    x, y, w = batch
    model = _binary(rnnkit, "sgd")
    plain = model.test_on_batch(x, y, return_dict=True)
    weighted = model.test_on_batch(x, y, sample_weight=w, return_dict=True)
    assert weighted["accuracy"] == plain["accuracy"]
    assert weighted["weighted_accuracy"] != plain["weighted_accuracy"]
    assert weighted["loss"] != plain["loss"]


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y, w: m.fit(x, y, sample_weight=w, class_weight={0: 1.0}, verbose=0),
     "pass sample_weight or class_weight, not both"),
    (lambda m, x, y, w: m.fit(x, y, sample_weight=w[:5], verbose=0),
     "sample_weight must have one weight per sample (32), got 5"),
    (lambda m, x, y, w: m.evaluate(x, y, sample_weight=np.where(w > 1, np.nan, w), verbose=0),
     "sample_weight contains NaN or infinite values"),
    (lambda m, x, y, w: m.fit(x, y, class_weight=[1.0, 2.0], verbose=0),
     "class_weight must be a dict {class index: weight}, got list"),
    (lambda m, x, y, w: m.fit(x, y, validation_data=(x, y, w[:3]), verbose=0),
     "val_sample_weight must have one weight per sample (32), got 3"),
])
def test_weight_mistakes_are_one_line_errors(batch, call, message):
    x, y, w = batch
    with pytest.raises((ValueError, TypeError)) as info:
        call(_binary(rnnkit, "sgd"), x, y, w)
    assert message in str(info.value) and "\n" not in str(info.value)
