"""Real Keras 3 reads rnnkit's files and rnnkit reads Keras's: same predictions both ways.

Also: summary() prints Keras's table, row for row and total for total.
"""

import json
import zipfile

import numpy as np
import pytest

import rnnkit

from .conftest import copy_weights_to_keras

pytestmark = pytest.mark.oracle


def _every_layer_model(lib, dropout=0.0):
    """Each layer kind rnnkit has, with options that change the weights layout or the math.

    ``dropout`` stays 0 where training steps are compared (the two libraries draw different
    masks); predictions are compared with it on (dropout is off at inference).
    """
    L = lib.layers
    model = lib.Sequential([
        lib.Input((9,)), L.Embedding(60, 8, mask_zero=True),
        L.LSTM(6, return_sequences=True, unit_forget_bias=False), L.Dropout(dropout),
        L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="sum"),
        L.SimpleRNN(5, return_sequences=True),
        L.GRU(3, reset_after=False, go_backwards=True), L.Dense(4, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 60, (40, 9))
    x[:, :3] = 0  # pre-padding, so the masks matter
    return x, rng.integers(0, 4, 40)


def test_keras_reads_rnnkit_files(keras, data, tmp_path):
    x, y = data
    ours = _every_layer_model(rnnkit)
    ours.train_on_batch(x, y)
    ours.train_on_batch(x, y)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-5)
    # compile config and optimizer state came across: the next step is the same step
    assert theirs.optimizer.__class__.__name__ == "Adam"
    assert int(theirs.optimizer.iterations.numpy()) == ours.optimizer.iterations == 2
    np.testing.assert_allclose(theirs.train_on_batch(x, y), ours.train_on_batch(x, y), atol=1e-5)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-5)


def test_rnnkit_reads_keras_files(keras, data, tmp_path):
    x, y = data
    theirs = _every_layer_model(keras)
    theirs.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    theirs.save(tmp_path / "theirs.keras")
    ours = rnnkit.models.load_model(tmp_path / "theirs.keras")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)
    assert ours.optimizer.iterations == 2 and ours.optimizer.learning_rate == pytest.approx(0.01)
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), atol=1e-5)


def test_weights_files_both_ways(keras, data, tmp_path):
    x, _ = data
    ours, theirs = _every_layer_model(rnnkit, 0.25), _every_layer_model(keras, 0.25)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-5)
    other = _every_layer_model(keras, 0.25)
    other.save_weights(tmp_path / "theirs.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), other.predict(x, verbose=0),
                               atol=1e-5)


def test_rnnkit_only_options_survive_keras_and_return(keras, tmp_path):
    """bptt_truncate is rnnkit's: Keras must still load the file, rnnkit must get it back."""
    model = rnnkit.Sequential([rnnkit.Input((20,)), rnnkit.layers.Embedding(30, 4),
                               rnnkit.layers.SimpleRNN(5, bptt_truncate=10),
                               rnnkit.layers.Dense(1, activation="sigmoid")])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))
    assert "bptt_truncate" not in json.dumps(config)
    keras.models.load_model(tmp_path / "m.keras")  # would raise on an unknown option
    assert rnnkit.models.load_model(tmp_path / "m.keras").layers[1].bptt_truncate == 10


def _cell_model(lib):
    """Keras's generic RNN(cell), alone and inside Bidirectional, with a dropout rate that Keras
    keeps on the cell and rnnkit on the RNN."""
    L = lib.layers
    if lib is rnnkit:
        lstm = L.RNN(L.LSTMCell(6), return_sequences=True, dropout=0.2)
    else:
        lstm = L.RNN(L.LSTMCell(6, dropout=0.2), return_sequences=True)
    return lib.Sequential([lib.Input((9,)), L.Embedding(60, 8, mask_zero=True), lstm,
                           L.Bidirectional(L.RNN(L.GRUCell(4, reset_after=False))),
                           L.Dense(1, activation="sigmoid")])


@pytest.mark.parametrize("writer", ["rnnkit", "keras"])
def test_rnn_of_a_cell_crosses_both_ways(keras, data, tmp_path, writer):
    x, _ = data
    source = _cell_model(rnnkit if writer == "rnnkit" else keras)
    source.save(tmp_path / "cells.keras")
    reader = keras.models.load_model if writer == "rnnkit" else rnnkit.models.load_model
    loaded = reader(tmp_path / "cells.keras")
    assert type(loaded.layers[1]).__name__ == "RNN"
    assert type(loaded.layers[1].cell).__name__ == "LSTMCell"
    assert type(loaded.layers[2].forward_layer.cell).__name__ == "GRUCell"
    rate = loaded.layers[1].cell.dropout if writer == "rnnkit" else loaded.layers[1].dropout
    assert rate == pytest.approx(0.2)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), source.predict(x, verbose=0),
                               atol=1e-5)


def _summary_lines(model) -> list[str]:
    lines = []
    model.summary(print_fn=lambda text, **_: lines.extend(text.splitlines()))
    return [line.rstrip() for line in lines[1:]]  # line 0 names the model


@pytest.mark.parametrize("units_and_kind", [("LSTM", 8), ("GRU", 8)])
def test_summary_equals_keras(keras, token_batch, units_and_kind):
    kind, units = units_and_kind
    x, y = token_batch

    def build(lib):
        L = lib.layers
        model = lib.Sequential([lib.Input((100,)), L.Embedding(500, 16),
                                getattr(L, kind)(units, return_sequences=True),
                                L.Bidirectional(L.LSTM(4)), L.Dense(1, activation="sigmoid")])
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    keras.utils.clear_session()
    ours, theirs = build(rnnkit), build(keras)
    assert _summary_lines(ours) == _summary_lines(theirs)
    copy_weights_to_keras(ours, theirs)
    ours.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    lines = _summary_lines(ours)
    assert lines == _summary_lines(theirs)  # now with "Optimizer params"
    assert any("Optimizer params" in line for line in lines)


def _two_of_a_kind_model(lib):
    """Two LSTMs and two Denses: Keras numbers the second of a kind ``lstm_1``, ``dense_1``."""
    L = lib.layers
    model = lib.Sequential([lib.Input((9,)), L.Embedding(60, 8), L.LSTM(6, return_sequences=True),
                            L.LSTM(5), L.Dense(4, activation="relu"),
                            L.Dense(4, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


def _h5_datasets(path) -> dict[str, tuple]:
    import h5py

    found = {}
    with h5py.File(path, "r") as h5:
        h5.visititems(lambda name, obj: found.__setitem__(name, obj.shape)
                      if isinstance(obj, h5py.Dataset) else None)
    return found


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # fresh, unbuilt Adam
def test_two_layers_of_a_kind_are_numbered_as_keras_does(keras, data, tmp_path):
    x, y = data
    ours, theirs = _two_of_a_kind_model(rnnkit), _two_of_a_kind_model(keras)
    ours.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    mine, keras_paths = _h5_datasets(tmp_path / "ours.weights.h5"), _h5_datasets(
        tmp_path / "theirs.weights.h5")
    assert "layers/lstm_1/cell/vars/0" in keras_paths and "layers/dense_1/vars/0" in keras_paths
    assert mine == keras_paths
    # and each reads the other's file: same predictions
    fresh = _two_of_a_kind_model(keras)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-5)
    ours.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
    ours.save(tmp_path / "ours.keras")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-5)
