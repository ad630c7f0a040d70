"""Bad input fails early with one line naming the problem; a NaN loss stops training cleanly."""

import json
import zipfile

import numpy as np
import pytest

import rnnkit
from rnnkit import layers


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, message
    return message


def _binary_model(compiled=True):
    model = rnnkit.Sequential([rnnkit.Input((6,)), layers.Embedding(20, 4), layers.GRU(3),
                               layers.Dense(1, activation="sigmoid")])
    if compiled:
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _softmax_model(loss="sparse_categorical_crossentropy"):
    model = rnnkit.Sequential([rnnkit.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss)
    return model


@pytest.fixture
def ids():
    return np.random.default_rng(0).integers(0, 20, (10, 6))


def test_x_y_length_mismatch(ids):
    with pytest.raises(ValueError) as e:
        _binary_model().fit(ids, np.zeros(9), verbose=0)
    assert "same number of samples, got 10 and 9" in _one_line(e)


def test_validation_data_length_mismatch(ids):
    with pytest.raises(ValueError) as e:
        _binary_model().fit(ids, np.zeros(10), validation_data=(ids, np.zeros(3)), verbose=0)
    assert "x_val and y_val" in _one_line(e)


@pytest.mark.parametrize("labels, expected", [
    (np.array([0, 1, 2, 0, 1, 0, 1, 0, 1, 0]), "expects labels in [0, 1], got values in [0, 2]"),
    (np.full(10, -1.0), "got values in [-1, -1]"),
])
def test_binary_labels_out_of_range(ids, labels, expected):
    with pytest.raises(ValueError) as e:
        _binary_model().fit(ids, labels, verbose=0)
    message = _one_line(e)
    assert message.startswith("y: binary_crossentropy") and expected in message


def test_sparse_labels_out_of_range():
    x = np.zeros((4, 4), "float32")
    with pytest.raises(ValueError) as e:
        _softmax_model().fit(x, np.array([0, 1, 5, 2]), verbose=0)
    assert "the model has 3 output classes (0 … 2)" in _one_line(e)
    with pytest.raises(ValueError) as e:
        _softmax_model().fit(x, np.array([0, 1, 1.5, 2]), verbose=0)
    assert "integer class labels" in _one_line(e)


def test_one_hot_labels_for_categorical_crossentropy():
    x = np.zeros((4, 4), "float32")
    with pytest.raises(ValueError) as e:
        _softmax_model("categorical_crossentropy").fit(x, np.array([0, 1, 2, 2]), verbose=0)
    assert "use sparse_categorical_crossentropy for integer labels" in _one_line(e)


def test_nan_in_inputs():
    x = np.ones((5, 4), "float32")
    x[3, 1] = np.nan
    with pytest.raises(ValueError) as e:
        _softmax_model().fit(x, np.zeros(5), verbose=0)
    assert "x contains NaN or infinite values in 1 sample(s) (first: sample 3)" in _one_line(e)
    with pytest.raises(ValueError) as e:
        _softmax_model().predict(x, verbose=0)
    assert "first: sample 3" in _one_line(e)


def test_nan_in_targets(ids):
    y = np.zeros(10)
    y[7] = np.inf
    with pytest.raises(ValueError) as e:
        _binary_model().fit(ids, y, verbose=0)
    assert "y contains NaN or infinite values" in _one_line(e)


def test_ragged_input():
    with pytest.raises(ValueError) as e:
        _binary_model().fit([[1, 2, 3], [4, 5]], [0, 1], verbose=0)
    assert "pad_sequences" in _one_line(e)


def test_fit_before_compile(ids):
    with pytest.raises(ValueError) as e:
        _binary_model(compiled=False).fit(ids, np.zeros(10), verbose=0)
    assert "must be compiled before fit()" in _one_line(e)


def test_compile_without_loss(ids):
    model = _binary_model(compiled=False)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError) as e:
        model.evaluate(ids, np.zeros(10), verbose=0)
    assert "compiled without a loss" in _one_line(e)


@pytest.mark.parametrize("kwargs, expected", [
    ({"optimizer": "rmsporp", "loss": "mse"}, "unknown optimizer 'rmsporp'; expected one of"),
    ({"optimizer": "adam", "loss": "binary_crossentropyy"},
     "unknown loss 'binary_crossentropyy'; expected one of"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["acuracy"]}, "unknown metric 'acuracy'"),
    ({"optimizer": "adam", "loss": "mse", "engine": "tpu"}, "unknown engine 'tpu'"),
])
def test_unknown_names(kwargs, expected):
    with pytest.raises(ValueError) as e:
        _binary_model(compiled=False).compile(**kwargs)
    assert expected in _one_line(e)


def test_bad_fit_arguments(ids):
    model = _binary_model()
    with pytest.raises(ValueError) as e:
        model.fit(ids, np.zeros(10), batch_size=0, verbose=0)
    assert "batch_size must be a positive integer, got 0" in _one_line(e)
    with pytest.raises(ValueError) as e:
        model.fit(ids, np.zeros(10), validation_split=1.5, verbose=0)
    assert "validation_split must be in (0, 1)" in _one_line(e)
    with pytest.raises(ValueError) as e:
        model.fit(ids, np.zeros(10), validation_data=(ids,), verbose=0)
    assert "validation_data must be a tuple (x_val, y_val)" in _one_line(e)


# ---- files ---------------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path, ids):
    model = _binary_model()
    model.fit(ids, np.zeros(10), epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    return path


def test_truncated_keras_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "is not a .keras archive (no zip directory found); it is truncated" in _one_line(e)


def test_corrupt_member_in_keras_file(saved):
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("model.weights.h5")
    data = bytearray(saved.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 200: start + 260] = b"\xff" * 60  # damage the stored weights
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "model.weights.h5 is corrupt" in _one_line(e)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "notes.keras"
    path.write_text("hello")
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(path)
    assert "is not a .keras archive" in _one_line(e)
    with pytest.raises(FileNotFoundError) as e:
        rnnkit.models.load_model(tmp_path / "missing.keras")
    assert "no such file" in _one_line(e)


def _rewrite_config(path, edit):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_missing_member_and_bad_json(saved):
    with zipfile.ZipFile(saved) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with zipfile.ZipFile(saved, "w") as zf:
        zf.writestr("config.json", b"{not json")
        zf.writestr("model.weights.h5", members["model.weights.h5"])
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "config.json is not valid JSON" in _one_line(e)
    with zipfile.ZipFile(saved, "w") as zf:
        zf.writestr("config.json", members["config.json"])
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "lacks model.weights.h5" in _one_line(e)


def test_layers_rnnkit_lacks_are_named(saved):
    def swap(config):
        config["config"]["layers"][2]["class_name"] = "Conv2D"
        config["config"]["layers"].append({"class_name": "Bidirectional", "config": {
            "layer": {"class_name": "ConvLSTM1D", "config": {}}}})
        config["config"]["layers"].append({"class_name": "RNN", "config": {
            "cell": {"class_name": "PeepholeLSTMCell", "config": {}}}})
    _rewrite_config(saved, swap)
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert ("uses classes rnnkit does not know: Conv2D, ConvLSTM1D, PeepholeLSTMCell"
            in _one_line(e))


def test_unsupported_options_are_named(saved):
    def regularize(config):
        config["config"]["layers"][3]["config"]["kernel_regularizer"] = {"class_name": "L2"}
    _rewrite_config(saved, regularize)
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "layer 'dense' (Dense): kernel_regularizer=" in _one_line(e)
    assert "is not supported by rnnkit; remove it" in _one_line(e)


def test_subclassed_models_are_refused(saved):
    _rewrite_config(saved, lambda config: config.update(class_name="MyModel"))
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "loads Sequential and Functional models; this file holds a 'MyModel' model" \
        in _one_line(e)


def test_a_functional_config_without_its_graph_is_refused(saved):
    _rewrite_config(saved, lambda config: config.update(class_name="Functional"))
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(saved)
    assert "Functional config has no input_layers or output_layers" in _one_line(e)


def test_weights_of_another_model(tmp_path, saved):
    other = rnnkit.Sequential([rnnkit.Input((6,)), layers.Embedding(20, 4), layers.GRU(5),
                               layers.Dense(1, activation="sigmoid")])
    before = other.get_weights()
    with pytest.raises(ValueError) as e:
        other.load_weights(saved)
    assert "layers/gru/cell/vars/0 has shape (4, 9), but 'gru_cell' expects (4, 15)" \
        in _one_line(e)
    for a, b in zip(before, other.get_weights()):  # nothing was half-loaded (not even embedding)
        np.testing.assert_array_equal(a, b)


def test_wrong_extensions(tmp_path):
    model = _binary_model()
    with pytest.raises(ValueError) as e:
        model.save(tmp_path / "model.txt")
    assert "model files end in .keras (Keras 3's format) or .h5 (the legacy format)" \
        in _one_line(e)
    with pytest.raises(ValueError) as e:
        model.save_weights(tmp_path / "model.h5")
    assert "must end in .weights.h5" in _one_line(e)


# ---- NaN during training ---------------------------------------------------------------------------
class BlowUp(rnnkit.callbacks.Callback):
    """Sets a ruinous learning rate from ``epoch`` on: the loss overflows, then turns NaN."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.optimizer.learning_rate = 1e6


def test_terminate_on_nan_keeps_last_good_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = x @ rng.normal(size=(5, 1)).astype("float32")
    model = rnnkit.Sequential([rnnkit.Input((5,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(1)])
    model.compile(optimizer=rnnkit.optimizers.SGD(0.05), loss="mse")
    path = tmp_path / "best.keras"
    saved_weights = {}

    class Snapshot(rnnkit.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            saved_weights[epoch] = self.model.get_weights()

    callbacks = [BlowUp(epoch=3), rnnkit.callbacks.TerminateOnNaN(),
                 rnnkit.callbacks.ModelCheckpoint(str(path), save_best_only=True), Snapshot(),
                 rnnkit.callbacks.CSVLogger(str(tmp_path / "log.csv"))]
    with np.errstate(all="ignore"):
        history = model.fit(x, y, epochs=20, batch_size=4, validation_split=0.25,
                            callbacks=callbacks, verbose=0)
    losses = history.history["val_loss"]
    assert len(losses) == 4 and model.stop_training          # stopped during epoch 4
    assert np.all(np.isfinite(losses[:3])) and not np.isfinite(losses[3])
    best = int(np.argmin(losses[:3]))
    restored = rnnkit.models.load_model(path)
    for a, b in zip(restored.get_weights(), saved_weights[best]):
        np.testing.assert_array_equal(a, b)
    assert (tmp_path / "log.csv").read_text().count("\n") == 5   # header + 4 epochs, closed


def test_terminate_on_nan_can_raise():
    model = rnnkit.Sequential([rnnkit.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=rnnkit.optimizers.SGD(1e30), loss="mse")
    x = np.full((8, 2), 1e20, "float32")
    with np.errstate(all="ignore"), pytest.raises(RuntimeError) as e:
        model.fit(x, np.ones(8), epochs=3, verbose=0,
                  callbacks=[rnnkit.callbacks.TerminateOnNaN(raise_error=True)])
    assert "NaN or Inf loss encountered at batch 0" in _one_line(e)
