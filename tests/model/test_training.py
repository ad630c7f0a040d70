"""The model API and training loop: determinism, splits, progress output, files round trip."""

import re

import numpy as np
import pytest

import rnnkit
from rnnkit import layers


@pytest.fixture
def data():
    rng = np.random.default_rng(11)
    x = rng.integers(1, 40, (60, 10))
    return x, (x[:, 0] < 20).astype(int)


def _model(dropout=0.2):
    model = rnnkit.Sequential([layers.Embedding(40, 6), layers.LSTM(5, dropout=dropout),
                               layers.Dropout(dropout), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _run(seed, data):
    rnnkit.utils.set_random_seed(seed)
    rnnkit.layers.clear_session()
    model = _model()
    history = model.fit(*data, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    return model.get_weights(), history.history


def test_same_seed_gives_bit_identical_runs(data):
    weights_a, history_a = _run(7, data)
    weights_b, history_b = _run(7, data)
    assert history_a == history_b
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)
    weights_c, history_c = _run(8, data)
    assert history_c != history_a  # the seed reaches init, dropout masks and shuffling


def epoch_orders(monkeypatch, epochs=3, **fit_kwargs):
    """The sample order of every epoch, read batch by batch from what the engine is handed.

    Each target is its sample's index, so the targets of a batch say which samples it holds.
    """
    n = 20
    model = rnnkit.Sequential([rnnkit.Input((1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    real_step = model.engine.train_step

    def recording_step(x, y, sample_weight=None):
        seen.append(np.asarray(y).ravel().astype(int))
        return real_step(x, y, sample_weight)

    monkeypatch.setattr(model.engine, "train_step", recording_step)
    model.fit(np.zeros((n, 1)), np.arange(n, dtype=float), epochs=epochs, batch_size=6,
              verbose=0, **fit_kwargs)
    per_epoch = len(seen) // epochs
    return [np.concatenate(seen[e * per_epoch:(e + 1) * per_epoch]) for e in range(epochs)]


def test_shuffle_draws_a_new_permutation_every_epoch(monkeypatch):
    orders = epoch_orders(monkeypatch, shuffle=True)
    for order in orders:
        assert sorted(order) == list(range(20)), f"an epoch must use every sample once: {order}"
    assert any(list(order) != list(range(20)) for order in orders), \
        "shuffle=True gave the samples in their original order"
    assert len({tuple(order) for order in orders}) == len(orders), \
        f"shuffle=True must draw a new order every epoch, got {orders}"


def test_shuffle_false_keeps_the_original_order(monkeypatch):
    for order in epoch_orders(monkeypatch, shuffle=False):
        assert list(order) == list(range(20)), f"shuffle=False reordered the samples: {order}"


def test_validation_samples_never_enter_a_shuffled_batch(monkeypatch):
    """Keras splits the last 25 % off before shuffling: samples 15 … 19 stay out of training."""
    for order in epoch_orders(monkeypatch, shuffle=True, validation_split=0.25):
        assert sorted(order) == list(range(15)), f"training order {order}"


def test_validation_split_takes_the_last_samples(data):
    x, y = data
    model = _model(dropout=0.0)
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    loss, accuracy = model.evaluate(x[45:], y[45:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, abs=1e-12)
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)


def test_lazy_build_uses_the_first_batch_like_keras(data):
    model = _model()
    assert not model.built
    model.fit(*data, epochs=1, batch_size=16, verbose=0)
    assert model.build_input_shape == (16, 10)
    assert model.layer_output_shapes() == [(16, 10, 6), (16, 5), (16, 5), (16, 1)]
    assert model.count_params() == 40 * 6 + 4 * 5 * (6 + 5 + 1) + 6


def test_unbuilt_model_cannot_report_weights():
    with pytest.raises(ValueError, match="is not built yet, so count_params"):
        _model().count_params()


def test_sequential_add_rules():
    model = rnnkit.Sequential(name="m")
    model.add(rnnkit.Input((4,)))
    with pytest.raises(ValueError, match="Input must be the first"):
        model.add(rnnkit.Input((4,)))
    model.add(layers.Dense(3, name="d"))
    with pytest.raises(ValueError, match="unique names; 'd' is already in 'm'"):
        model.add(layers.Dense(2, name="d"))
    with pytest.raises(TypeError, match="expects a rnnkit layer"):
        model.add("dense")
    assert model.output_shape == (None, 3) and model.get_layer("d") is model.layers[0]


def test_predict_call_and_batches_agree(data):
    x, y = data
    model = _model()
    predicted = model.predict(x, batch_size=7, verbose=0)  # before compile-time training
    assert predicted.shape == (60, 1) and predicted.dtype == np.float32
    np.testing.assert_allclose(model.predict_on_batch(x), predicted, rtol=1e-6)
    np.testing.assert_allclose(model(x), predicted, rtol=1e-6)
    assert not np.allclose(model(x, training=True), predicted)  # dropout on


def test_train_and_test_on_batch(data):
    x, y = data
    model = _model(dropout=0.0)
    loss, accuracy = model.test_on_batch(x, y)
    assert model.evaluate(x, y, batch_size=60, verbose=0) == pytest.approx([loss, accuracy])
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"} and logs["loss"] == pytest.approx(loss)
    assert model.test_on_batch(x, y)[0] < loss
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_set_weights_checks_shapes(data):
    model = _model()
    model.predict(data[0][:2], verbose=0)
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"weight 1 has shape \(6, 20\), got \(2, 2\)"):
        model.set_weights([weights[0], np.zeros((2, 2))] + weights[2:])
    with pytest.raises(ValueError, match="has 6 weight arrays, got 1"):
        model.set_weights(weights[:1])


def test_frozen_layers_do_not_train(data):
    model = rnnkit.Sequential([rnnkit.Input((10,)), layers.Embedding(40, 6, trainable=False),
                               layers.GRU(4), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    frozen = model.layers[0].get_weights()[0]
    model.fit(*data, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], frozen)
    assert len(model.trainable_weights) == 5 and len(model.non_trainable_weights) == 1


# ---- progress output ---------------------------------------------------------------------------
_NUMBER = r"\d+\.\d{4}"
EPOCH_LINE = re.compile(rf"^3/3 ━{{20}} \d+s \d+(us|ms|s)/step - accuracy: {_NUMBER} - "
                        rf"loss: {_NUMBER} - val_accuracy: {_NUMBER} - val_loss: {_NUMBER}$")


def test_progress_lines_when_not_a_terminal(data, capsys):
    x, y = data
    _model().fit(x[:40], y[:40], epochs=2, batch_size=16, validation_data=(x[40:], y[40:]))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert EPOCH_LINE.match(lines[1]) and EPOCH_LINE.match(lines[3]), lines
    assert "\r" not in "".join(lines) and "\x1b" not in "".join(lines)


def test_progress_redraws_in_place_on_a_terminal(data, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setattr(rnnkit.progress, "_REFRESH_SECONDS", 0.0)
    x, y = data
    _model().evaluate(x, y, batch_size=10)
    out = capsys.readouterr().out
    assert out.count("\r") == 6 and "\x1b[" in out  # a redraw per batch, then the final line
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out).split("\r")
    assert plain[0].startswith("1/6 " + "━" * 20 + " ")  # 3 done + 17 to go, colours aside
    assert re.match(rf"^6/6 ━{{20}} \d+s \d+(us|ms|s)/step - accuracy: {_NUMBER} - "
                    rf"loss: {_NUMBER} *\n$", plain[-1]), plain[-1]


def test_verbose_two_and_zero(data, capsys):
    x, y = data
    model = _model()
    model.fit(x, y, epochs=1, batch_size=32, verbose=2)
    out = capsys.readouterr().out
    assert re.match(rf"^2/2 - \d+s - \d+(us|ms|s)/step - accuracy: {_NUMBER} - loss: {_NUMBER}\n$",
                    out), out
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


# ---- files: rnnkit → rnnkit ---------------------------------------------------------------------
def test_saved_model_continues_training_exactly(data, tmp_path):
    x, y = data
    model = _model(dropout=0.0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = rnnkit.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 8
    for _ in range(3):
        assert loaded.train_on_batch(x, y) == model.train_on_batch(x, y)
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_keeps_rnnkit_options():
    model = rnnkit.Sequential([rnnkit.Input((12,)), layers.Embedding(30, 4),
                               layers.Bidirectional(layers.SimpleRNN(3, bptt_truncate=5,
                                                                     return_sequences=True)),
                               layers.GRU(2, bptt_truncate=4), layers.Dense(1)])
    clone = rnnkit.Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.layers[1].forward_layer.bptt_truncate == 5 and clone.layers[2].bptt_truncate == 4


def test_writes_are_atomic(data, tmp_path, monkeypatch):
    model = _model()
    model.fit(*data, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(rnnkit.saving.h5_layout, "write_model", fail)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(tmp_path / "m.weights.h5")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]  # no temporary left over
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        model.save(path, overwrite=False)


def test_an_optimizer_step_refuses_a_gradient_list_of_the_wrong_length():
    """One gradient missing must not shift the others onto the wrong weights."""
    from rnnkit import optimizers
    params = [np.zeros((2, 3), np.float32), np.zeros(3, np.float32)]
    with pytest.raises(ValueError, match="shorter|longer"):
        optimizers.SGD(0.1).apply([np.ones((2, 3), np.float32)], params)


class _EpochKeys(rnnkit.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.validated = []

    def on_epoch_end(self, epoch, logs=None):
        if "val_loss" in (logs or {}):
            self.validated.append(epoch)


# Keras's Trainer._should_eval: the 1-based epoch (epoch index + 1) is a multiple of the frequency.
@pytest.mark.parametrize("freq, initial_epoch, epochs, validated", [
    (1, 0, 3, [0, 1, 2]),
    (2, 0, 5, [1, 3]),          # after epochs 2 and 4 (1-based), never after the first
    (3, 0, 7, [2, 5]),
    (2, 1, 5, [1, 3]),          # initial_epoch keeps Keras's epoch numbering
])
def test_validation_freq_validates_at_the_epochs_keras_does(data, freq, initial_epoch, epochs,
                                                            validated):
    x, y = data
    model = _model()
    seen = _EpochKeys()
    history = model.fit(x[:40], y[:40], epochs=epochs, batch_size=16, verbose=0,
                        validation_data=(x[40:], y[40:]), validation_freq=freq,
                        initial_epoch=initial_epoch, callbacks=[seen])
    assert seen.validated == validated
    assert len(history.history["loss"]) == epochs - initial_epoch
    assert len(history.history["val_loss"]) == len(validated)


def test_fit_readies_the_engine_after_train_begin_and_before_the_first_epoch(data):
    """``Engine.prepare_training`` runs once, after the callbacks' on_train_begin (a restored
    backup is in place) and before epoch 1 begins: whatever an engine builds there (the torch
    engine's network, DDP's wrapper) is start-up, not epoch 1's time."""
    model = _model()
    calls = []
    model.engine.prepare_training = lambda: calls.append("prepare")

    class Order(rnnkit.callbacks.Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch {epoch}")

    model.fit(*data, epochs=2, batch_size=16, verbose=0, callbacks=[Order()])
    assert calls == ["train_begin", "prepare", "epoch 0", "epoch 1"]
