"""Learning-rate schedules, LearningRateScheduler and LambdaCallback against real Keras 3: the
same rates, the same training (both engines), the same logs and files Keras writes and reads."""

import json
import zipfile

import numpy as np
import pytest

import rnnkit
from rnnkit.optimizers import schedules

from .conftest import copy_weights_to_keras, max_weight_diff
from .test_oracle_files import _h5_datasets

TOL = 1e-5
SCHEDULES = {
    "exponential": ("ExponentialDecay", {"initial_learning_rate": 0.05, "decay_steps": 3,
                                         "decay_rate": 0.5}),
    "exponential_staircase": ("ExponentialDecay", {"initial_learning_rate": 0.05,
                                                   "decay_steps": 3, "decay_rate": 0.5,
                                                   "staircase": True}),
    "cosine": ("CosineDecay", {"initial_learning_rate": 0.05, "decay_steps": 7, "alpha": 0.1}),
    "cosine_warmup": ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 5,
                                      "warmup_target": 0.08, "warmup_steps": 3}),
}


def _schedule(lib, case):
    name, kwargs = SCHEDULES[case]
    return getattr(lib.optimizers.schedules, name)(**kwargs)


def _model(lib, optimizer, engine=None):
    model = lib.Sequential([lib.Input((12,)), lib.layers.Embedding(50, 8),
                            lib.layers.LSTM(6), lib.layers.Dense(1, activation="sigmoid")])
    options = {} if engine is None else {"engine": engine}
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"],
                  **options)
    return model


def _twins(keras, optimizer_name, rate, engine=None, **options):
    """(ours, theirs) from the same weights; ``rate(lib)`` gives each library's learning rate."""
    ours = _model(rnnkit, getattr(rnnkit.optimizers, optimizer_name)(rate(rnnkit), **options),
                  engine)
    theirs = _model(keras, getattr(keras.optimizers, optimizer_name)(rate(keras), **options))
    copy_weights_to_keras(ours, theirs)
    return ours, theirs


FIT = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}


def _assert_histories_equal(ours, theirs):
    assert list(ours) == list(theirs)
    for key, values in theirs.items():
        np.testing.assert_allclose(ours[key], values, atol=TOL, err_msg=key)


# ---- the schedules' values ------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", SCHEDULES)
def test_schedule_values_equal_keras(keras, case):
    ours, theirs = _schedule(rnnkit, case), _schedule(keras, case)
    for step in range(14):
        assert ours(step) == pytest.approx(float(theirs(step)), rel=1e-6, abs=1e-9), step


def test_schedule_formulas_by_hand():
    decay = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert [float(decay(t)) for t in (0, 3, 4, 9)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    smooth = schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert float(smooth(2)) == pytest.approx(0.1 * 0.5 ** 0.5, rel=1e-6)
    cosine = schedules.CosineDecay(1.0, decay_steps=4, alpha=0.2)
    assert [float(cosine(t)) for t in (0, 2, 4, 10)] == pytest.approx([1.0, 0.6, 0.2, 0.2])
    warm = schedules.CosineDecay(0.0, decay_steps=2, warmup_target=1.0, warmup_steps=4)
    assert [float(warm(t)) for t in (0, 2, 4, 5, 6, 9)] == pytest.approx(
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0], abs=1e-7)


# ---- training with a schedule -----------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("optimizer", ["SGD", "RMSprop", "Adam"])
@pytest.mark.parametrize("case", ["exponential_staircase", "cosine_warmup"])
def test_training_with_a_schedule_equals_keras(keras, token_batch, case, optimizer, engine):
    """Every optimizer takes a schedule (weight decay too reads the step's rate)."""
    x, y = token_batch
    ours, theirs = _twins(keras, optimizer, lambda lib: _schedule(lib, case), engine,
                          weight_decay=0.01)
    _assert_histories_equal(ours.fit(x, y, **FIT).history, theirs.fit(x, y, **FIT).history)
    assert max_weight_diff(ours, theirs) < TOL
    assert ours.optimizer.learning_rate == pytest.approx(float(theirs.optimizer.learning_rate))
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)


def test_a_scheduled_rate_cannot_be_set():
    optimizer = rnnkit.optimizers.Adam(schedules.CosineDecay(0.1, 10))
    with pytest.raises(TypeError, match="built with a learning-rate schedule"):
        optimizer.learning_rate = 0.5
    with pytest.raises(ValueError, match="a non-negative float or an optimizers.schedules"):
        rnnkit.optimizers.SGD(learning_rate="fast")


# ---- files ----------------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("case", ["exponential_staircase", "cosine_warmup"])
def test_scheduled_optimizers_cross_files_both_ways(keras, token_batch, case, tmp_path):
    x, y = token_batch
    ours, theirs = _twins(keras, "Adam", lambda lib: _schedule(lib, case))
    for model in (ours, theirs):
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    configs, datasets = [], []
    for name in ("ours", "theirs"):
        with zipfile.ZipFile(tmp_path / f"{name}.keras") as zf:
            configs.append(json.loads(zf.read("config.json"))["compile_config"]["optimizer"])
            zf.extract("model.weights.h5", tmp_path / name)
        datasets.append(_h5_datasets(tmp_path / name / "model.weights.h5"))
    assert configs[0]["config"]["learning_rate"] == configs[1]["config"]["learning_rate"]
    assert datasets[0] == datasets[1]          # [iteration, slots…]: no learning_rate variable
    from_ours = keras.models.load_model(tmp_path / "ours.keras")
    from_theirs = rnnkit.models.load_model(tmp_path / "theirs.keras")
    assert type(from_theirs.optimizer.schedule).__name__ == SCHEDULES[case][0]
    assert from_theirs.optimizer.iterations == 2
    np.testing.assert_allclose(from_ours.train_on_batch(x, y), theirs.train_on_batch(x, y),
                               atol=TOL)
    np.testing.assert_allclose(from_theirs.train_on_batch(x, y), ours.train_on_batch(x, y),
                               atol=TOL)
    assert max_weight_diff(from_theirs, from_ours) < TOL


def test_a_schedule_of_your_own_round_trips(token_batch, tmp_path):
    class HalvingSchedule(schedules.LearningRateSchedule):
        def __init__(self, rate=0.1):
            self.rate = rate

        def __call__(self, step):
            return np.float32(self.rate / 2 ** step)

        def get_config(self):
            return {"rate": self.rate}

    x, y = token_batch
    model = _model(rnnkit, rnnkit.optimizers.SGD(HalvingSchedule(0.2)))
    model.train_on_batch(x, y)
    model.save(tmp_path / "m.keras")
    loaded = rnnkit.models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.schedule.rate == 0.2
    assert loaded.optimizer.learning_rate == pytest.approx(0.1)


# ---- callbacks ------------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("schedule", [lambda epoch, lr: lr * 0.5 if epoch else lr,
                                      lambda epoch: 0.05 / (epoch + 1)],
                         ids=["two-arguments", "epoch-only"])
def test_learning_rate_scheduler_equals_keras(keras, token_batch, schedule, engine):
    """Set in on_epoch_begin, logged as learning_rate in on_epoch_end, beside validation."""
    x, y = token_batch
    ours, theirs = _twins(keras, "RMSprop", lambda lib: 0.02, engine)
    kwargs = {**FIT, "validation_data": (x[:8], y[:8])}
    ours_history = ours.fit(x, y, callbacks=[rnnkit.callbacks.LearningRateScheduler(schedule)],
                            **kwargs).history
    theirs_history = theirs.fit(x, y, callbacks=[keras.callbacks.LearningRateScheduler(schedule)],
                                **kwargs).history
    assert "learning_rate" in ours_history
    _assert_histories_equal(ours_history, theirs_history)
    assert max_weight_diff(ours, theirs) < TOL


def test_learning_rate_scheduler_refusals_and_message(token_batch, capsys):
    x, y = token_batch
    model = _model(rnnkit, rnnkit.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="the schedule must return a float, got 1 for epoch 0"):
        model.fit(x, y, verbose=0, callbacks=[rnnkit.callbacks.LearningRateScheduler(
            lambda epoch: 1)])
    model.fit(x, y, verbose=0, callbacks=[rnnkit.callbacks.LearningRateScheduler(
        lambda epoch: 0.25, verbose=1)])
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.25." in \
        capsys.readouterr().out
    scheduled = _model(rnnkit, rnnkit.optimizers.SGD(schedules.ExponentialDecay(0.1, 2, 0.5)))
    with pytest.raises(TypeError, match="cannot be set"):
        scheduled.fit(x, y, verbose=0, callbacks=[rnnkit.callbacks.LearningRateScheduler(
            lambda epoch: 0.1)])


class _Recorder:
    """Functions for every LambdaCallback hook that note (hook, index, logs keys)."""

    def __init__(self):
        self.events = []

    def indexed(self, hook):
        return lambda index, logs: self.events.append((hook, index, sorted(logs)))

    def plain(self, hook):
        return lambda logs: self.events.append((hook, None, sorted(logs)))

    def hooks(self):
        return {"on_epoch_begin": self.indexed("on_epoch_begin"),
                "on_epoch_end": self.indexed("on_epoch_end"),
                "on_train_begin": self.plain("on_train_begin"),
                "on_train_end": self.plain("on_train_end"),
                "on_train_batch_begin": self.indexed("on_train_batch_begin"),
                "on_train_batch_end": self.indexed("on_train_batch_end"),
                "on_test_begin": self.plain("on_test_begin"),
                "on_test_batch_end": self.indexed("on_test_batch_end")}


@pytest.mark.oracle
def test_lambda_callback_is_called_as_keras_calls_it(keras, token_batch):
    x, y = token_batch
    ours, theirs = _twins(keras, "Adam", lambda lib: 0.01)
    recorders = (_Recorder(), _Recorder())
    kwargs = {**FIT, "epochs": 2, "batch_size": 16, "validation_data": (x[:8], y[:8])}
    ours.fit(x, y, callbacks=[rnnkit.callbacks.LambdaCallback(**recorders[0].hooks())], **kwargs)
    theirs.fit(x, y, callbacks=[keras.callbacks.LambdaCallback(**recorders[1].hooks())],
               **kwargs)
    assert recorders[0].events == recorders[1].events
    assert ("on_epoch_end", 1, ["accuracy", "loss", "val_accuracy", "val_loss"]) in \
        recorders[0].events


def test_lambda_callback_refuses_what_is_no_hook():
    with pytest.raises(TypeError, match="LambdaCallback got on_epoch_ends, which is no callback"):
        rnnkit.callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        rnnkit.callbacks.LambdaCallback(on_epoch_end=3)
