"""Callbacks: EarlyStopping's restored weights are the best epoch's and the checkpoint's."""

import csv

import numpy as np
import pytest

import rnnkit
from rnnkit import layers


@pytest.fixture
def task():
    """A learnable binary task that overfits: 40 training and 40 validation sequences."""
    rng = np.random.default_rng(5)
    x = rng.integers(1, 30, (80, 8))
    y = (np.isin(x, np.arange(1, 6)).sum(1) > 1).astype(int)
    return (x[:40], y[:40]), (x[40:], y[40:])


def _model(units=6, lr=0.05):
    model = rnnkit.Sequential([rnnkit.Input((8,)), layers.Embedding(30, 8), layers.GRU(units),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(lr), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


class WeightsPerEpoch(rnnkit.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_restore_best_weights_and_best_checkpoint_hold_the_best_epoch(task, tmp_path):
    (x, y), val = task
    model = _model()
    snapshots = WeightsPerEpoch()
    stopper = rnnkit.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    checkpoint = rnnkit.callbacks.ModelCheckpoint(str(tmp_path / "best.keras"),
                                                  save_best_only=True)
    history = model.fit(x, y, epochs=60, batch_size=8, validation_data=val, verbose=0,
                        callbacks=[snapshots, checkpoint, stopper])
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert len(val_loss) == best + 3 < 60            # stopped by patience, after the best epoch
    assert best > 0 and stopper.best_epoch == best
    assert not np.array_equal(snapshots.weights[-1][0], snapshots.weights[best][0])
    for restored, at_best in zip(model.get_weights(), snapshots.weights[best]):
        np.testing.assert_array_equal(restored, at_best)
    from_file = rnnkit.models.load_model(tmp_path / "best.keras")
    for saved, at_best in zip(from_file.get_weights(), snapshots.weights[best]):
        np.testing.assert_array_equal(saved, at_best)
    assert model.evaluate(*val, verbose=0)[0] == pytest.approx(val_loss[best], abs=1e-12)


def test_early_stopping_modes_and_min_delta():
    stopper = rnnkit.callbacks.EarlyStopping(monitor="val_accuracy", patience=2, min_delta=0.05)
    stopper.set_model(_model())
    stopper.on_train_begin()
    # accuracy goes up (mode 'auto'); a gain must exceed min_delta to count
    for epoch, accuracy in enumerate([0.5, 0.53, 0.57, 0.6]):
        stopper.on_epoch_end(epoch, {"val_accuracy": accuracy})
    assert stopper.best == 0.57 and stopper.best_epoch == 2 and stopper.stopped_epoch == 0
    stopper.on_epoch_end(4, {"val_accuracy": 0.61})
    assert stopper.stopped_epoch == 4 and stopper.model.stop_training
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        rnnkit.callbacks.EarlyStopping(mode="up")


def test_checkpoint_every_epoch_with_formatted_names_and_weights_only(task, tmp_path):
    (x, y), val = task
    model = _model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.weights.h5")
    history = model.fit(x, y, epochs=3, batch_size=20, validation_data=val, verbose=0,
                        callbacks=[rnnkit.callbacks.ModelCheckpoint(pattern,
                                                                    save_weights_only=True)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"ckpt-{e + 1:02d}-{v:.3f}.weights.h5"
                     for e, v in enumerate(history.history["val_loss"])]
    fresh = _model()
    fresh.load_weights(tmp_path / names[-1])
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="must end in .weights.h5"):
        rnnkit.callbacks.ModelCheckpoint("x.keras", save_weights_only=True)


def test_reduce_lr_on_plateau_and_csv_logger(task, tmp_path):
    (x, y), val = task
    model = _model(lr=0.05)
    reducer = rnnkit.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                                 min_delta=10.0, min_lr=0.01)
    history = model.fit(x, y, epochs=4, batch_size=20, validation_data=val, verbose=0,
                        callbacks=[reducer, rnnkit.callbacks.CSVLogger(tmp_path / "log.csv")])
    # min_delta=10 makes every epoch after the first a plateau: 0.05 → 0.025 → 0.0125 → 0.01
    np.testing.assert_allclose(history.history["learning_rate"], [0.05, 0.05, 0.025, 0.0125],
                               rtol=1e-6)
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    with open(tmp_path / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert list(rows[0]) == ["epoch", "accuracy", "learning_rate", "loss", "val_accuracy",
                             "val_loss"]
    assert float(rows[2]["val_loss"]) == pytest.approx(history.history["val_loss"][2])


class HookRecorder:
    """Records hook calls and log keys; mixed into rnnkit's and Keras's Callback."""

    def _record(self, hook, index=None, logs=None):
        self.events.append((hook, index, tuple(sorted(logs or {}))))


def _recorder(base):
    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
             "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
             "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
             "on_predict_batch_begin", "on_predict_batch_end"]

    def make(hook):
        if hook.endswith(("_begin", "_end")) and ("batch" in hook or "epoch" in hook):
            return lambda self, i, logs=None: self._record(hook, i, logs)
        return lambda self, logs=None: self._record(hook, None, logs)

    namespace = {hook: make(hook) for hook in hooks}
    namespace["__init__"] = lambda self: (base.__init__(self), setattr(self, "events", []))[0]
    return type("Recorder", (HookRecorder, base), namespace)()


@pytest.mark.oracle
def test_hook_order_and_logs_match_keras(keras, task):
    (x, y), val = task
    recorded = {}
    for lib in (rnnkit, keras):
        model = lib.Sequential([lib.Input((8,)), lib.layers.Embedding(30, 4),
                                lib.layers.SimpleRNN(3), lib.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        recorder = _recorder(lib.callbacks.Callback)
        model.fit(x, y, epochs=2, batch_size=16, validation_data=val, callbacks=[recorder],
                  verbose=0)
        model.evaluate(x, y, batch_size=32, callbacks=[recorder], verbose=0)
        model.predict(x, batch_size=32, callbacks=[recorder], verbose=0)
        recorded[lib.__name__] = [(h, i, keys) for h, i, keys in recorder.events
                                  if not h.startswith("on_predict_batch")]
    assert recorded["rnnkit"] == recorded["keras"]
