"""Legacy HDF5 model files (.h5), both ways: rnnkit ⇄ real Keras 3 (its legacy saver and
loader), rnnkit ⇄ rnnkit, and files real tf.keras 2 wrote (tests/fixtures/legacy_h5, made by
tests/fixtures/make_legacy_h5_fixtures.py with tf_keras 2.21, predictions recorded by tf_keras).
"""

import json
import logging
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

import rnnkit
from rnnkit.saving import ModelFileError, UnsupportedModelError, legacy_h5

from .test_functional import dag, masked_ids

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "legacy_h5"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
INPUTS = np.array(EXPECTED["inputs"])
TARGETS = np.array(EXPECTED["targets"], np.float32)


def _one_line(excinfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    return text


def _every_recurrent_model(lib, dropout=0.2):
    """Every recurrent layer kind, Bidirectional and a mask, compiled with Adam.

    ``dropout`` is 0 where training steps are compared (the libraries draw different masks).
    """
    L = lib.layers
    model = lib.Sequential([
        lib.Input((9,)), L.Embedding(40, 6, mask_zero=True),
        L.LSTM(5, return_sequences=True), L.Dropout(dropout),
        L.Bidirectional(L.GRU(4, return_sequences=True)),
        L.SimpleRNN(4, return_sequences=True),
        L.GRU(3, reset_after=False), L.Dense(3, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 40, (24, 9))
    x[:, :3] = 0  # pre-padding, so the masks matter
    return x, rng.integers(0, 3, 24)


def _binary_model():
    model = rnnkit.Sequential([rnnkit.Input((6,)), rnnkit.layers.Embedding(12, 4),
                               rnnkit.layers.LSTM(3), rnnkit.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


# ---- real Keras 3 --------------------------------------------------------------------------------
@pytest.mark.oracle
def test_keras_reads_rnnkit_h5(keras, data, tmp_path):
    x, y = data
    ours = _every_recurrent_model(rnnkit)
    ours.train_on_batch(x, y)
    ours.train_on_batch(x, y)
    ours.save(tmp_path / "ours.h5")
    theirs = keras.models.load_model(tmp_path / "ours.h5")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-6)
    # The step count came across. Keras 3.15.1's legacy loader builds the optimizer over a
    # Sequential's own (empty) variable list, so it logs "Error in loading the saved optimizer
    # state" and drops the slots of any .h5 file, its own included; and on torch it cannot
    # train the model it returned ("Unknown variable"). So no further step is compared here.
    assert int(theirs.optimizer.iterations.numpy()) == ours.optimizer.iterations == 2
    # and Keras's load_weights reads the model file's weights into its own twin
    twin = _every_recurrent_model(keras)
    twin.build((None, 9))
    twin.load_weights(tmp_path / "ours.h5")
    np.testing.assert_allclose(twin.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6)


@pytest.mark.oracle
def test_rnnkit_reads_keras_h5(keras, data, tmp_path):
    x, y = data
    theirs = _every_recurrent_model(keras, dropout=0.0)
    theirs.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    theirs.save(tmp_path / "theirs.h5")  # Keras 3's legacy saver
    saved = theirs.predict(x, verbose=0)
    ours = rnnkit.models.load_model(tmp_path / "theirs.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-6)
    assert ours.optimizer.iterations == 2 and ours.optimizer.get_config()["learning_rate"] == \
        pytest.approx(0.01)
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)
    twin = _every_recurrent_model(rnnkit)
    twin.build((None, 9))
    twin.load_weights(tmp_path / "theirs.h5")
    np.testing.assert_allclose(twin.predict(x, verbose=0), saved, atol=1e-6)


@pytest.mark.oracle
def test_the_file_has_keras_layout(keras, data, tmp_path):
    """Same attributes, groups and weight names as Keras 3's legacy saver writes."""
    x, y = data
    rnnkit.naming.clear_session()  # both libraries' first model and layers: no _1 suffixes
    keras.utils.clear_session()
    models = {"ours": _every_recurrent_model(rnnkit), "theirs": _every_recurrent_model(keras)}
    for name, model in models.items():
        model.train_on_batch(x, y)
        model.save(tmp_path / f"{name}.h5")
    layouts = {}
    for name in models:
        with h5py.File(tmp_path / f"{name}.h5") as f:
            items: list = []
            f.visititems(lambda key, obj, out=items: out.append((key, getattr(obj, "shape", None))))
            layouts[name] = (sorted(f.attrs), items,
                             _entry_keys(json.loads(f.attrs["model_config"])),
                             legacy_h5._read_names(f["optimizer_weights"], "weight_names"))
    ours, theirs = layouts["ours"], layouts["theirs"]
    assert set(theirs[0]) <= set(ours[0]) and set(ours[0]) - set(theirs[0]) == {"rnnkit"}
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]
    assert ours[3] == theirs[3]


def _entry_keys(model_config):
    """The legacy form's shape: no module, registered_name or build_config on layer entries."""
    return (sorted(model_config), [(sorted(e), e["class_name"])
                                   for e in model_config["config"]["layers"]])


@pytest.mark.oracle
@pytest.mark.parametrize("path, weights_only", [
    ("best.h5", False), ("best.keras", False), ("best.hdf5", False), ("best.weights.h5", True),
    ("best.h5", True)])
def test_model_checkpoint_takes_the_paths_keras_takes(keras, path, weights_only):
    def accepts(lib):
        try:
            lib.callbacks.ModelCheckpoint(path, save_weights_only=weights_only)
        except ValueError:
            return False
        return True
    assert accepts(rnnkit) == accepts(keras)


@pytest.mark.oracle
def test_save_weights_refuses_plain_h5_as_keras_does(keras, tmp_path):
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="weights.h5"):
        theirs.save_weights(tmp_path / "w.h5")
    ours = rnnkit.Sequential([rnnkit.Input((3,)), rnnkit.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"must end in \.weights\.h5"):
        ours.save_weights(tmp_path / "w.h5")


# ---- files tf.keras 2 wrote ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lstm_adam", "gru_sgd"])
def test_tf_keras_2_model_files_load(name):
    model = rnnkit.models.load_model(FIXTURES / f"{name}.h5")
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0), EXPECTED["predictions"][name],
                               atol=1e-6)
    assert model.optimizer.iterations == {"lstm_adam": 3, "gru_sgd": 2}[name]
    assert model.compiled_metric_identifiers == ["accuracy"]


def test_tf_keras_2_optimizer_state_resumes_training_exactly():
    """Adam's m and v, by name from tf.keras's [iteration, m₀, v₀, …]: the next step is
    tf.keras's own next step."""
    model = rnnkit.models.load_model(FIXTURES / "lstm_adam.h5")
    model.fit(INPUTS, TARGETS, epochs=1, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0),
                               EXPECTED["predictions"]["lstm_adam_after_one_step"], atol=1e-6)


def test_tf_keras_2_weights_file_loads_into_a_built_model():
    model = rnnkit.Sequential([rnnkit.Input((6,)), rnnkit.layers.Embedding(12, 3),
                               rnnkit.layers.SimpleRNN(2),
                               rnnkit.layers.Dense(2, activation="softmax")])
    model.load_weights(FIXTURES / "weights_only.h5")
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0),
                               EXPECTED["predictions"]["weights_only"], atol=1e-6)


def _with_config(tmp_path, edit, source="lstm_adam.h5") -> Path:
    """A copy of a fixture (lstm_adam.h5 unless told) whose model_config went through ``edit``."""
    path = tmp_path / "edited.h5"
    shutil.copy(FIXTURES / source, path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config["config"]["layers"])
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
    return path


def test_keras_2_config_without_an_input_layer_entry(tmp_path):
    """Keras before tf.keras put the input shape only on the first layer (batch_input_shape)."""
    path = _with_config(tmp_path, lambda layers: layers.pop(0))
    model = rnnkit.models.load_model(path)
    assert model.build_input_shape == (None, 6)
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0),
                               EXPECTED["predictions"]["lstm_adam"], atol=1e-6)


def test_keras_2_recurrent_options(tmp_path):
    def implementation_1(layers):
        layers[2]["config"]["implementation"] = 1   # the same math, grouped otherwise
    model = rnnkit.models.load_model(_with_config(tmp_path, implementation_1))
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0),
                               EXPECTED["predictions"]["lstm_adam"], atol=1e-6)

    def time_major(layers):
        layers[2]["config"]["time_major"] = True
    with pytest.raises(UnsupportedModelError) as e:
        rnnkit.models.load_model(_with_config(tmp_path, time_major))
    assert "layer 'lstm' (LSTM): time_major=True is not supported by rnnkit; remove it" \
        in _one_line(e)


# ---- rnnkit ⇄ rnnkit -----------------------------------------------------------------------------
def test_round_trip_resumes_training_exactly(data, tmp_path, caplog):
    x, y = data
    model = _every_recurrent_model(rnnkit)
    model.layers[2].set_weights([w * 0 for w in model.layers[2].get_weights()])  # not random
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.metadata = {"note": "kept"}
    with caplog.at_level(logging.WARNING, logger="rnnkit"):
        model.save(tmp_path / "m.h5")
    assert "considered legacy" in caplog.text  # Keras 3's notice, logged as Keras logs it
    loaded = rnnkit.models.load_model(tmp_path / "m.h5")
    assert loaded.get_config() == model.get_config() and loaded.metadata == {"note": "kept"}
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a, b)
    model.layers[2].rate = loaded.layers[2].rate = 0.0  # dropout masks differ between models
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_include_optimizer_false_and_uncompiled_models(tmp_path, caplog):
    model = _binary_model()
    model.fit(INPUTS, TARGETS, epochs=1, verbose=0)
    model.save(tmp_path / "m.hdf5", include_optimizer=False)
    with h5py.File(tmp_path / "m.hdf5") as f:
        assert "optimizer_weights" not in f and "training_config" not in f.attrs
    with caplog.at_level(logging.WARNING, logger="rnnkit"):
        loaded = rnnkit.models.load_model(tmp_path / "m.hdf5")
    assert not loaded.compiled and "was *not* compiled" in caplog.text
    np.testing.assert_array_equal(loaded.predict(INPUTS, verbose=0),
                                  model.predict(INPUTS, verbose=0))


def test_save_format_is_deprecated_as_in_keras(tmp_path):
    model = _binary_model()
    with pytest.warns(UserWarning, match="save_format"):
        model.save(tmp_path / "m.h5", save_format="h5")
    with pytest.raises(ValueError, match="save_format"):
        model.save(tmp_path / "m.tf", save_format="tf")


class _Scores(rnnkit.callbacks.Callback):
    """Puts a chosen ``score`` in each epoch's logs (before ModelCheckpoint reads them)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = scores

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]


class _Snapshots(rnnkit.callbacks.Callback):
    """The checkpoint file's bytes and the model's predictions after each epoch."""

    def __init__(self, path):
        super().__init__()
        self.path, self.files, self.predictions = path, [], []

    def on_epoch_end(self, epoch, logs=None):
        self.files.append(self.path.read_bytes() if self.path.exists() else None)
        self.predictions.append(self.model.predict(INPUTS, verbose=0))


def test_model_checkpoint_best_h5_writes_only_improving_epochs(tmp_path):
    path = tmp_path / "best.h5"
    snapshots = _Snapshots(path)
    model = _binary_model()
    model.fit(INPUTS, TARGETS, epochs=5, verbose=0, callbacks=[
        _Scores([3.0, 1.0, 2.0, 0.5, 0.7]),
        rnnkit.callbacks.ModelCheckpoint(str(path), monitor="score", mode="min",
                                         save_best_only=True),
        snapshots])
    changed = [i for i, (before, after) in enumerate(zip([None] + snapshots.files,
                                                         snapshots.files)) if before != after]
    assert changed == [0, 1, 3]
    best = rnnkit.models.load_model(path)
    np.testing.assert_array_equal(best.predict(INPUTS, verbose=0), snapshots.predictions[3])


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    model = _binary_model()
    path = tmp_path / "m.h5"
    model.save(path)
    before = path.read_bytes()

    def half_written(group, model, keras_version):
        group.create_group("half")
        raise OSError("disk full")

    monkeypatch.setattr(legacy_h5, "write_weights", half_written)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5"]  # no temporary left over
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        model.save(path, overwrite=False)


# ---- errors: one line, naming the problem and the fix --------------------------------------------
def test_a_weights_file_given_to_load_model(tmp_path):
    with pytest.raises(ModelFileError) as e:
        rnnkit.models.load_model(FIXTURES / "weights_only.h5")
    assert "holds weights only (no model config): build the model in code, then call " \
           "model.load_weights(" in _one_line(e)
    model = _binary_model()
    model.save_weights(tmp_path / "w.weights.h5")  # Keras 3's weights layout: the same answer
    with pytest.raises(ModelFileError, match="holds weights only"):
        rnnkit.models.load_model(tmp_path / "w.weights.h5")


def test_an_h5_that_is_not_a_keras_file(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ModelFileError) as e:
        rnnkit.models.load_model(path)
    assert "is an HDF5 file but not a Keras model (no model_config attribute); load_model " \
           "reads files written by model.save" in _one_line(e)
    with pytest.raises(ModelFileError) as e:
        _binary_model().load_weights(path)
    assert "holds no Keras weights (no layer_names attribute)" in _one_line(e)


def test_a_text_file_named_h5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("not a model\n")
    with pytest.raises(ModelFileError) as e:
        rnnkit.models.load_model(path)
    assert "is not a readable HDF5 file" in _one_line(e)
    assert "load it from a file written by model.save" in _one_line(e)


def test_weights_of_another_model_change_nothing(tmp_path):
    other = rnnkit.Sequential([rnnkit.Input((6,)), rnnkit.layers.Embedding(12, 3),
                               rnnkit.layers.GRU(2), rnnkit.layers.Dense(2)])
    before = other.get_weights()
    with pytest.raises(ValueError) as e:
        other.load_weights(FIXTURES / "weights_only.h5")
    assert "layer 'simple_rnn' holds 3 weights" not in _one_line(e)  # counts match: shapes differ
    assert "weight 0 has shape (3, 2), but 'gru' expects (3, 6)" in _one_line(e)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- Functional models ---------------------------------------------------------------------------
def _functional(lib):
    """Embedding(mask_zero) → LSTM and GRU branches → Concatenate → Dense, Adam."""
    L = lib.layers
    inputs = lib.Input((6,), dtype="int32")
    embedded = L.Embedding(12, 4, mask_zero=True)(inputs)
    merged = L.Concatenate()([L.LSTM(3)(embedded), L.GRU(2)(embedded)])
    model = lib.Model(inputs, L.Dense(1, activation="sigmoid")(merged))
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def _layout(path) -> tuple:
    """Groups and datasets, layer_names, optimizer weight names, and the config's entries
    (their keys, class and inbound nodes) less the Keras mask operations rnnkit does not keep."""
    with h5py.File(path) as f:
        items: list = []
        f.visititems(lambda key, obj: items.append((key, getattr(obj, "shape", None))))
        layers = json.loads(f.attrs["model_config"])["config"]["layers"]
        entries = [(sorted(e), e["class_name"], e["name"], _sources(e["inbound_nodes"]))
                   for e in layers if e["class_name"] != "NotEqual"]
        return (items, legacy_h5._read_names(f["model_weights"], "layer_names"),
                legacy_h5._read_names(f["optimizer_weights"], "weight_names"), entries)


def _sources(nodes) -> list:
    """Each node's positional inputs as [layer, node, tensor] (mask keyword arguments aside)."""
    def histories(arg):
        if isinstance(arg, list):
            return [h for a in arg for h in histories(a)]
        return [arg["config"]["keras_history"]]
    return [histories(node["args"][0]) for node in nodes]


@pytest.mark.oracle
def test_functional_h5_is_keras_legacy_file_and_keras_reads_it(keras, tmp_path):
    x = INPUTS
    rnnkit.naming.clear_session()  # both libraries' first model and layers: no _1 suffixes
    keras.utils.clear_session()
    ours, theirs = _functional(rnnkit), _functional(keras)
    for name, model in (("ours", ours), ("theirs", theirs)):
        model.train_on_batch(x, TARGETS)
        model.save(tmp_path / f"{name}.h5")
    assert _layout(tmp_path / "ours.h5") == _layout(tmp_path / "theirs.h5")
    loaded = keras.models.load_model(tmp_path / "ours.h5")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-6)
    assert int(loaded.optimizer.iterations.numpy()) == 1
    twin = _functional(keras)  # Keras's load_weights pairs the layers by position
    twin.load_weights(tmp_path / "ours.h5")
    np.testing.assert_allclose(twin.predict(x, verbose=0), ours.predict(x, verbose=0), atol=1e-6)


@pytest.mark.oracle
def test_rnnkit_reads_keras_functional_h5(keras, tmp_path):
    """Keras 3's legacy saver writes its mask operations (NotEqual, …) as layer entries
    without a module, which its own legacy loader then cannot read ("Unknown layer:
    'NotEqual'"); rnnkit drops them and recomputes the masks. The graph has a shared Dense."""
    x = masked_ids()
    y = np.array([[1.0], [0.0], [1.0], [0.0], [1.0], [1.0]], np.float32)
    theirs = dag(keras, keras.layers.Concatenate)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    theirs.train_on_batch(x, y)
    theirs.save(tmp_path / "theirs.h5")
    with h5py.File(tmp_path / "theirs.h5") as f:
        assert "NotEqual" in f.attrs["model_config"]
    ours = rnnkit.models.load_model(tmp_path / "theirs.h5")
    assert isinstance(ours, rnnkit.models.Functional)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-6)
    assert ours.optimizer.iterations == 1
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)


def test_tf_keras_2_functional_file_loads_and_resumes():
    """Keras 2's config: nested-list inbound nodes, input_layers [["input_1", 0, 0]], a Dense
    called twice (node 1), batch_input_shape on the Embedding; SGD momentum by name."""
    model = rnnkit.models.load_model(FIXTURES / "functional.h5")
    assert isinstance(model, rnnkit.models.Functional)
    assert [type(layer).__name__ for layer in model.layers] == \
        ["InputLayer", "Embedding", "LSTM", "GRU", "Dense", "Average"]
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0),
                               EXPECTED["predictions"]["functional"], atol=1e-6)
    assert model.optimizer.iterations == 2 and model.compiled_metric_identifiers == ["accuracy"]
    model.fit(INPUTS, TARGETS, epochs=1, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(INPUTS, verbose=0),
                               EXPECTED["predictions"]["functional_after_one_step"], atol=1e-6)


def test_functional_round_trip_resumes_training_exactly(tmp_path):
    model = _functional(rnnkit)
    model.fit(INPUTS, TARGETS, epochs=2, batch_size=2, verbose=0)
    model.save(tmp_path / "f.h5")
    loaded = rnnkit.models.load_model(tmp_path / "f.h5")
    assert loaded.get_config() == model.get_config()
    for a, b in zip(loaded.get_weights() + loaded.optimizer.variables,
                    model.get_weights() + model.optimizer.variables):
        np.testing.assert_array_equal(a, b)
    for m in (model, loaded):
        m.fit(INPUTS, TARGETS, epochs=1, batch_size=2, shuffle=False, verbose=0)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_best_h5_on_a_functional_model(tmp_path):
    path = tmp_path / "best.h5"
    snapshots = _Snapshots(path)
    _functional(rnnkit).fit(INPUTS, TARGETS, epochs=3, verbose=0, callbacks=[
        _Scores([2.0, 1.0, 1.5]),
        rnnkit.callbacks.ModelCheckpoint(str(path), monitor="score", mode="min",
                                         save_best_only=True),
        snapshots])
    assert snapshots.files[1] != snapshots.files[0] and snapshots.files[2] == snapshots.files[1]
    best = rnnkit.models.load_model(path)
    assert isinstance(best, rnnkit.models.Functional)
    np.testing.assert_array_equal(best.predict(INPUTS, verbose=0), snapshots.predictions[1])


def test_a_functional_node_naming_a_missing_layer(tmp_path):
    def misnamed(layers):
        layers[-1]["inbound_nodes"][0][1][0] = "dense_9"  # Average reads a layer not there
    with pytest.raises(UnsupportedModelError) as e:
        rnnkit.models.load_model(_with_config(tmp_path, misnamed, "functional.h5"))
    assert "layer 'average' reads the output of layer 'dense_9', which the model's config " \
           "does not have" in _one_line(e)

    def no_nodes(layers):  # what rnnkit wrote before Functional models had .h5 files
        for entry in layers:
            entry.pop("inbound_nodes")
    with pytest.raises(UnsupportedModelError) as e:
        rnnkit.models.load_model(_with_config(tmp_path, no_nodes, "functional.h5"))
    assert "the model's output_layers reads output 0 of call 0 of layer 'average', which " \
           "the model's config never makes (0 calls)" in _one_line(e)
