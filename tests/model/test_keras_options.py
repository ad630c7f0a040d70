"""Keras options rnnkit lacks are refused the same way, one line, whichever part meets them.

Layers, recurrent layers, optimizers, ``compile``, losses, ModelCheckpoint and the .keras reader
all take Keras's options for features rnnkit does not have; each accepts them at Keras's "off"
value (or ignores them when they only say how Keras runs) and otherwise names the option the
same way: ``<owner>: key=value is not supported by rnnkit; remove it``.
"""

import pytest

import rnnkit
from rnnkit import layers, losses, optimizers
from rnnkit.callbacks import ModelCheckpoint
from rnnkit.keras_options import KerasOptions
from rnnkit.saving import UnsupportedModelError, keras_format


def _compiled(**options):
    model = rnnkit.Sequential([rnnkit.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", **options)
    return model


def _dense_from_file(**options):
    entry = {"class_name": "Dense", "config": {"name": "d", "units": 2, **options}}
    return keras_format.layer_from_keras(entry)


REFUSED = {
    "layer regularizer": (lambda: layers.Dense(3, kernel_regularizer="l2"),
                          ValueError, "Dense: kernel_regularizer='l2'"),
    "layer LoRA": (lambda: layers.Embedding(10, 3, lora_rank=4),
                   ValueError, "Embedding: lora_rank=4"),
    "stateful RNN": (lambda: layers.GRU(3, stateful=True), ValueError, "GRU: stateful=True"),
    "time-major RNN": (lambda: layers.LSTM(3, time_major=True),
                       ValueError, "LSTM: time_major=True"),
    "optimizer EMA": (lambda: optimizers.Adam(use_ema=True), ValueError, "Adam: use_ema=True"),
    "optimizer EMA momentum": (lambda: optimizers.SGD(ema_momentum=0.5),
                               ValueError, "SGD: ema_momentum=0.5"),
    "compile": (lambda: _compiled(steps_per_execution=4),
                ValueError, "compile: steps_per_execution=4"),
    "loss reduction": (lambda: losses.BinaryCrossentropy(reduction="sum"),
                       ValueError, "binary_crossentropy: reduction='sum'"),
    "loss axis": (lambda: losses.CategoricalCrossentropy(axis=1),
                  ValueError, "categorical_crossentropy: axis=1"),
    "loss ignore_class": (lambda: losses.SparseCategoricalCrossentropy(ignore_class=0),
                          ValueError, "sparse_categorical_crossentropy: ignore_class=0"),
    "checkpoint": (lambda: ModelCheckpoint("m.keras", save_freq=10),
                   ValueError, "ModelCheckpoint: save_freq=10"),
    "file layer option": (lambda: _dense_from_file(kernel_regularizer="l2"),
                          UnsupportedModelError, "layer 'd' (Dense): kernel_regularizer='l2'"),
    "file unknown option": (lambda: _dense_from_file(sparse_output=True),
                            UnsupportedModelError, "layer 'd' (Dense): sparse_output=True"),
    "file compile option": (lambda: keras_format.compile_from_keras({"loss_weights": [0.5]}),
                            UnsupportedModelError, "compile: loss_weights=[0.5]"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_unsupported_keras_options_read_the_same(case):
    make, error, start = REFUSED[case]
    with pytest.raises(error) as info:
        make()
    assert str(info.value) == f"{start} is not supported by rnnkit; remove it"


ACCEPTED = {
    "layer options at None": lambda: layers.Dense(3, kernel_regularizer=None,
                                                   bias_constraint=None, lora_rank=None),
    "RNN run hints, features off": lambda: layers.GRU(3, unroll=True, implementation=2,
                                                      use_cudnn=False, stateful=None,
                                                      time_major=False),
    "optimizer at Keras's defaults": lambda: optimizers.Adam(use_ema=False, ema_momentum=0.99,
                                                             loss_scale_factor=None),
    "compile hints": lambda: _compiled(run_eagerly=True, jit_compile=False, auto_scale_loss=False,
                                       steps_per_execution=1, loss_weights=None),
    "loss defaults": lambda: losses.SparseCategoricalCrossentropy(
        reduction="sum_over_batch_size", axis=-1, ignore_class=None),
    "checkpoint per epoch": lambda: ModelCheckpoint("m.keras", save_freq="epoch"),
    "file options off or math-neutral": lambda: _dense_from_file(
        kernel_regularizer=None, quantization_config=None, dtype="float32", unroll=True),
    "file compile without weights": lambda: keras_format.compile_from_keras(
        {"loss_weights": [], "weighted_metrics": None, "loss": "binary_crossentropy"}),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_keras_options_at_off_values_are_accepted(case):
    ACCEPTED[case]()


@pytest.mark.parametrize("make,owner", [(lambda: layers.LSTM(3, unit=2, foo=1), "LSTM"),
                                        (lambda: optimizers.RMSprop(foo=1, unit=2), "RMSprop")])
def test_unknown_keywords_are_type_errors_naming_them(make, owner):
    with pytest.raises(TypeError) as info:
        make()
    assert str(info.value) == f"{owner} got unexpected keyword argument(s): foo, unit"


def test_an_exact_name_wins_over_a_glob():
    table = KerasOptions(defaults={"*_regularizer": None, "bias_regularizer": 0.0})
    table.check("X", "bias_regularizer", 0.0)
    table.check("X", "kernel_regularizer", None)
    with pytest.raises(ValueError, match=r"^X: bias_regularizer=None is not supported"):
        table.check("X", "bias_regularizer", None)
    kwargs = {"kernel_regularizer": None, "units": 3}
    table.pop("X", kwargs)
    assert kwargs == {"units": 3}, "pop removes the table's options and leaves the others"
