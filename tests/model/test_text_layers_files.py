"""Models with the text layers against real Keras 3: same predictions and training steps from the
same weights, the same summary(), and .keras / .weights.h5 files that each library reads from
the other."""

import json
import zipfile

import numpy as np
import pytest

import rnnkit

from .conftest import copy_weights_to_keras, max_weight_diff
from .test_oracle_files import _h5_datasets, _summary_lines

pytestmark = [pytest.mark.oracle,
              pytest.mark.filterwarnings("ignore:Layer .* does not support masking")]
TOL = 1e-5


def _ids_model(lib, dropout=0.0):
    """Embedding(mask_zero) → SpatialDropout1D → Bidirectional(GRU, seq) → LayerNormalization
    → Conv1D → MaxPooling1D → GlobalMaxPooling1D → Dense(softmax)."""
    L = lib.layers
    model = lib.Sequential([
        lib.Input((12,)), L.Embedding(50, 8, mask_zero=True), L.SpatialDropout1D(dropout),
        L.Bidirectional(L.GRU(5, return_sequences=True)), L.LayerNormalization(epsilon=1e-4),
        L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu"),
        L.MaxPooling1D(3, strides=2, padding="same"), L.GlobalMaxPooling1D(),
        L.Dense(3, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _float_model(lib):
    """Masking → LSTM(seq) → GlobalAveragePooling1D(keepdims) → Flatten → Activation."""
    L = lib.layers
    model = lib.Sequential([
        lib.Input((9, 3)), L.Masking(mask_value=-1.0), L.LSTM(4, return_sequences=True),
        L.Conv1D(4, 2, strides=2, use_bias=False), L.Activation("tanh"),
        L.LayerNormalization(axis=[1, 2], center=False),
        L.GlobalAveragePooling1D(keepdims=True), L.Flatten(), L.Dense(1),
        L.Activation("sigmoid")])
    model.compile(optimizer=lib.optimizers.RMSprop(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture
def ids_data():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 50, (24, 12))
    x[:8, :4] = 0
    x[8:16, -5:] = 0
    return x, rng.integers(0, 3, 24)


@pytest.fixture
def float_data():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((20, 9, 3)).astype("float32")
    x[:6, :3] = -1.0
    x[6:10, -2:] = -1.0
    return x, rng.integers(0, 2, 20)


def _randomized_twins(keras, build):
    ours, theirs = build(rnnkit), build(keras)
    rng = np.random.default_rng(0)
    ours.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in ours.weights])
    copy_weights_to_keras(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("build, data", [(_ids_model, "ids_data"), (_float_model, "float_data")])
def test_predictions_and_training_steps_equal_keras(keras, build, data, request):
    x, y = request.getfixturevalue(data)
    ours, theirs = _randomized_twins(keras, build)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=TOL)
    for step in range(3):
        ours_logs = ours.train_on_batch(x, y, return_dict=True)
        theirs_logs = theirs.train_on_batch(x, y, return_dict=True)
        for key, value in theirs_logs.items():
            assert abs(ours_logs[key] - float(value)) < TOL, (step, key)
    assert max_weight_diff(ours, theirs) < TOL


@pytest.mark.parametrize("build", [_ids_model, _float_model])
def test_summary_equals_keras(keras, build):
    keras.utils.clear_session()
    ours, theirs = build(rnnkit), build(keras)
    assert _summary_lines(ours) == _summary_lines(theirs)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # fresh, unbuilt Adam
def test_keras_reads_rnnkit_files(keras, ids_data, tmp_path):
    x, y = ids_data
    ours = _ids_model(rnnkit, dropout=0.3)
    ours.fit(x, y, epochs=1, batch_size=8, verbose=0)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=TOL)
    for ours_layer, theirs_layer in zip(ours.layers, theirs.layers, strict=True):
        assert type(theirs_layer).__name__ == type(ours_layer).__name__
    ours.save_weights(tmp_path / "ours.weights.h5")
    fresh = _ids_model(keras, dropout=0.3)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), ours.predict(x, verbose=0), atol=TOL)


@pytest.mark.parametrize("build, data", [(_ids_model, "ids_data"), (_float_model, "float_data")])
def test_rnnkit_reads_keras_files(keras, build, data, request, tmp_path):
    x, y = request.getfixturevalue(data)
    theirs = build(keras)
    theirs.fit(x, y, epochs=1, batch_size=8, verbose=0)
    theirs.save(tmp_path / "theirs.keras")
    ours = rnnkit.models.load_model(tmp_path / "theirs.keras")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=TOL)
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), atol=TOL)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    ours.save_weights(tmp_path / "ours.weights.h5")
    assert _h5_datasets(tmp_path / "ours.weights.h5") == _h5_datasets(tmp_path / "theirs.weights.h5")


@pytest.mark.parametrize("build", [_ids_model, _float_model])
def test_configs_are_keras_configs(keras, build, tmp_path):
    """Each new layer's config.json entry has exactly the keys Keras writes."""
    ours = build(rnnkit)
    ours.save(tmp_path / "ours.keras")
    theirs = build(keras)
    theirs.save(tmp_path / "theirs.keras")
    entries = []
    for name in ("ours", "theirs"):
        with zipfile.ZipFile(tmp_path / f"{name}.keras") as zf:
            entries.append(json.loads(zf.read("config.json"))["config"]["layers"])
    new = {"SpatialDropout1D", "LayerNormalization", "Conv1D", "MaxPooling1D",
           "GlobalMaxPooling1D", "GlobalAveragePooling1D", "Masking", "Flatten", "Activation"}
    for mine, keras_entry in zip(*entries, strict=True):
        assert mine["class_name"] == keras_entry["class_name"]
        if mine["class_name"] in new:
            assert set(mine["config"]) == set(keras_entry["config"]), mine["class_name"]


def test_round_trip_keeps_every_option(tmp_path):
    L = rnnkit.layers
    model = rnnkit.Sequential([
        rnnkit.Input((10, 4)), L.Masking(mask_value=2.5),
        L.Conv1D(3, 4, strides=2, padding="same", activation="relu", use_bias=False,
                 kernel_initializer="he_normal", name="conv"),
        L.SpatialDropout1D(0.25, seed=3, trainable=False),
        L.LayerNormalization(axis=-1, epsilon=1e-5, center=False, gamma_initializer="zeros"),
        L.MaxPooling1D(2, strides=1, padding="same"), L.GlobalAveragePooling1D(keepdims=True),
        L.Flatten(), L.Activation("softmax")])
    model.compile(loss="categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    loaded = rnnkit.models.load_model(tmp_path / "m.keras")
    for a, b in zip(model.layers, loaded.layers, strict=True):
        assert a.get_config() == b.get_config()
    assert loaded.get_layer("conv").padding == "same" and loaded.layers[2].trainable is False
    x = np.random.default_rng(0).standard_normal((3, 10, 4)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
