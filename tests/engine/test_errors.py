"""Bad input gets one line naming what was expected and what came — not a NumPy traceback."""

import numpy as np
import pytest

from rnnkit import layers


def built(layer, shape):
    layer.ensure_built(shape)
    return layer


CASES = {
    "ids without Embedding": (lambda: layers.LSTM(4)(np.zeros((2, 5))),
                              ValueError, r"\(batch, time, features\).*Embedding"),
    "wrong rank after build": (lambda: built(layers.GRU(4), (None, 3, 5)).forward(np.zeros((2, 5))),
                               ValueError, r"expects input of rank 3.*got shape \(2, 5\)"),
    "wrong feature size": (lambda: built(layers.LSTM(4), (None, 3, 5)).forward(np.zeros((2, 3, 6))),
                           ValueError, r"expects 5 features.*got shape \(2, 3, 6\)"),
    "dense feature size": (lambda: built(layers.Dense(2), (None, 3)).forward(np.zeros((4, 7))),
                           ValueError, r"expects 3 features"),
    "id too large": (lambda: layers.Embedding(10, 3)(np.array([[1, 10]])),
                     ValueError, r"ids in \[1, 10\].*input_dim=10 allows \[0, 9\]"),
    "negative id": (lambda: layers.Embedding(10, 3)(np.array([[-1, 2]])),
                    ValueError, r"ids in \[-1, 2\]"),
    "fractional id": (lambda: layers.Embedding(10, 3)(np.array([[1.5, 2.0]])),
                      TypeError, r"integer token ids.*non-integer"),
    "string ids": (lambda: layers.Embedding(10, 3)(np.array([["a", "b"]])),
                   TypeError, r"integer token ids.*dtype"),
    "units zero": (lambda: layers.LSTM(0), ValueError, r"units must be a positive integer, got 0"),
    "units negative": (lambda: layers.SimpleRNN(-2), ValueError, r"units .* got -2"),
    "dense units": (lambda: layers.Dense(0), ValueError, r"units must be a positive integer"),
    "dropout one": (lambda: layers.LSTM(4, dropout=1.0), ValueError, r"dropout .*\[0, 1\), got 1.0"),
    "recurrent dropout negative": (lambda: layers.GRU(4, recurrent_dropout=-0.1),
                                   ValueError, r"recurrent_dropout .*\[0, 1\)"),
    "Dropout rate": (lambda: layers.Dropout(1.5), ValueError, r"rate .*\[0, 1\), got 1.5"),
    "unknown activation": (lambda: layers.LSTM(4, activation="tanhh"),
                           ValueError, r"unknown activation 'tanhh'; expected one of"),
    "softmax in a cell": (lambda: layers.GRU(4, recurrent_activation="softmax"),
                          ValueError, r"not elementwise"),
    "unknown merge mode": (lambda: layers.Bidirectional(layers.LSTM(4), merge_mode="max"),
                           ValueError, r"unknown merge_mode 'max'"),
    "Bidirectional of Dense": (lambda: layers.Bidirectional(layers.Dense(3)),
                               TypeError, r"wraps a recurrent layer"),
    "mask shape": (lambda: layers.LSTM(4)(np.zeros((2, 3, 5)), mask=np.ones((2, 4))),
                   ValueError, r"mask of shape \(batch, time\) = \(2, 3\), got \(2, 4\)"),
    "unknown keyword": (lambda: layers.LSTM(4, unit=3), TypeError, r"unexpected keyword.*unit"),
    "stateful": (lambda: layers.LSTM(4, stateful=True), ValueError, r"stateful=True is not supported"),
    "unknown initializer": (lambda: layers.LSTM(4, kernel_initializer="glorot"),
                            ValueError, r"unknown initializer 'glorot'"),
    "bptt_truncate": (lambda: layers.SimpleRNN(4, bptt_truncate=0), ValueError, r"bptt_truncate"),
    "dtype": (lambda: layers.LSTM(4, dtype="int32"), ValueError, r"dtype must be one of"),
}


@pytest.mark.parametrize("case", CASES)
def test_one_line_error(case):
    make, error, pattern = CASES[case]
    with pytest.raises(error, match=pattern) as info:
        make()
    assert "\n" not in str(info.value)


def test_keras_options_rnnkit_lacks_are_accepted_when_off():
    layers.Dense(3, kernel_regularizer=None, bias_constraint=None, lora_rank=None)
    layers.Embedding(10, 3, embeddings_regularizer=None, activity_regularizer=None)
    layers.LSTM(3, recurrent_regularizer=None, unroll=False, use_cudnn="auto", stateful=False)
    with pytest.raises(ValueError, match="kernel_regularizer='l2' is not supported"):
        layers.Dense(3, kernel_regularizer="l2")
