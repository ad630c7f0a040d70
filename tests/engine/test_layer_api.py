"""Keras's layer API: weight layout and order, parameter counts, shapes, configs, initializers."""

import numpy as np
import pytest

import rnnkit
from rnnkit import layers


def build_stack(stack, input_shape):
    """Build layers in order; return the output shape of each and the total parameter count."""
    shapes, shape = [], (None,) + tuple(input_shape)
    for layer in stack:
        layer.ensure_built(shape)
        shape = layer.compute_output_shape(shape)
        shapes.append(tuple(shape))
    return shapes, sum(layer.count_params() for layer in stack)


# (model description, input shape, Keras's total as the study material's summaries print it)
MODELS = {
    "embedding_lstm": (lambda L: [L.Embedding(500, 16), L.LSTM(8), L.Dense(1, activation="sigmoid")],
                       (100,), 8809),
    "embedding_gru": (lambda L: [L.Embedding(500, 16), L.GRU(8), L.Dense(1, activation="sigmoid")],
                      (100,), 8000 + 624 + 9),
    "two_lstm": (lambda L: [L.Embedding(500, 16), L.LSTM(8, dropout=0.3, return_sequences=True),
                            L.LSTM(8, dropout=0.3), L.Dense(1, activation="sigmoid")],
                 (100,), 8000 + 800 + 544 + 9),
    "simple_rnn": (lambda L: [L.Embedding(10000, 32), L.SimpleRNN(32),
                              L.Dense(1, activation="sigmoid")], (500,), 322080 + 33),
    "lstm32": (lambda L: [L.Embedding(10000, 2), L.LSTM(32), L.Dense(1, activation="sigmoid")],
               (500,), 20000 + 4480 + 33),
    "bigru": (lambda L: [L.Embedding(10000, 128), L.Bidirectional(L.GRU(64)), L.Dropout(0.5),
                         L.Dense(1, activation="sigmoid")], (300,), 1280000 + 74496 + 129),
    "bilstm": (lambda L: [L.Embedding(10000, 128), L.Bidirectional(L.LSTM(64)),
                          L.Dense(1, activation="sigmoid")], (300,), 1280000 + 98816 + 129),
    "reuters_gru": (lambda L: [L.Embedding(10000, 256), L.GRU(256, return_sequences=True),
                               L.GRU(128), L.Dense(46, activation="softmax")],
                    (300,), 2560000 + 394752 + 148224 + 5934),
    "one_hot_simple_rnn": (lambda L: [L.SimpleRNN(32), L.Dense(1, activation="sigmoid")],
                           (100, 100), 4256 + 33),
    "gru_reset_before": (lambda L: [L.GRU(8, reset_after=False)], (10, 8), 3 * 8 * (8 + 8 + 1)),
}


@pytest.mark.parametrize("name", MODELS)
def test_parameter_counts_match_the_material(name):
    make, input_shape, total = MODELS[name]
    _, count = build_stack(make(layers), input_shape)
    assert count == total


@pytest.mark.oracle
@pytest.mark.parametrize("name", MODELS)
def test_counts_shapes_and_weight_shapes_equal_keras(name):
    keras = pytest.importorskip("keras")
    make, input_shape, _ = MODELS[name]
    ours = make(layers)
    shapes, count = build_stack(ours, input_shape)
    theirs = keras.Sequential([keras.Input(input_shape)] + make(keras.layers))
    assert count == theirs.count_params()
    for layer, k_layer, shape in zip(ours, theirs.layers, shapes, strict=True):
        assert shape == tuple(k_layer.output.shape), layer.name
        assert [w.shape for w in layer.get_weights()] == [w.shape for w in k_layer.get_weights()]


def test_lstm_weights_are_keras_layout_and_initializers():
    lstm = layers.LSTM(8)
    lstm.ensure_built((None, 100, 16))
    kernel, recurrent, bias = lstm.get_weights()
    assert (kernel.shape, recurrent.shape, bias.shape) == ((16, 32), (8, 32), (32,))
    assert kernel.dtype == np.float32
    limit = np.sqrt(6 / (16 + 32))                           # glorot_uniform
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(8), atol=1e-5)  # orthogonal rows
    np.testing.assert_array_equal(bias, np.r_[np.zeros(8), np.ones(8), np.zeros(16)])


def test_gru_bias_layouts():
    after, before = layers.GRU(4), layers.GRU(4, reset_after=False)
    after.ensure_built((None, 3, 5))
    before.ensure_built((None, 3, 5))
    assert after.get_weights()[2].shape == (2, 12)
    assert before.get_weights()[2].shape == (12,)


def test_embedding_initializer_and_mask():
    emb = layers.Embedding(50, 4, mask_zero=True)
    ids = np.array([[0, 0, 3, 4], [5, 6, 0, 0]])
    out = emb(ids)
    assert out.shape == (2, 4, 4)
    assert np.abs(emb.embeddings).max() <= 0.05
    np.testing.assert_array_equal(emb.compute_mask(ids, None), ids != 0)


def test_bidirectional_weights_are_forward_then_backward():
    bi = layers.Bidirectional(layers.LSTM(3))
    bi.ensure_built((None, 5, 2))
    assert bi.forward_layer.name == "forward_lstm" and bi.backward_layer.name == "backward_lstm"
    assert bi.backward_layer.go_backwards
    weights = bi.get_weights()
    assert len(weights) == 6
    for ours, theirs in zip(weights, bi.forward_layer.get_weights() + bi.backward_layer.get_weights(),
                            strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_set_weights_round_trip_and_shape_errors():
    gru = layers.GRU(3)
    gru.ensure_built((None, 4, 2))
    new = [np.full(w.shape, 0.5, np.float32) for w in gru.get_weights()]
    gru.set_weights(new)
    assert all(np.array_equal(a, b) for a, b in zip(gru.get_weights(), new, strict=True))
    with pytest.raises(ValueError, match="recurrent_kernel.*shape"):
        gru.set_weights([new[0], new[0], new[2]])
    with pytest.raises(ValueError, match="expects 3 weight arrays"):
        gru.set_weights(new[:2])


def test_float64_throughout():
    lstm = layers.LSTM(3, return_sequences=True, dtype="float64")
    y = lstm(np.ones((2, 4, 5), np.float32))
    assert y.dtype == np.float64 and lstm.get_weights()[0].dtype == np.float64
    y, cache = lstm.forward_train(np.ones((2, 4, 5), np.float32))
    dx, grads = lstm.backward(np.ones_like(y), cache)
    assert dx.dtype == np.float64
    assert all(g.dtype == np.float64 for g in grads)


def test_set_floatx_changes_the_default():
    try:
        rnnkit.config.set_floatx("float64")
        assert layers.GRU(2)(np.ones((1, 3, 2))).dtype == np.float64
    finally:
        rnnkit.config.set_floatx("float32")


LAYERS_FOR_CONFIG = [
    lambda: layers.Dense(4, activation="softmax", use_bias=False),
    lambda: layers.Embedding(100, 8, mask_zero=True),
    lambda: layers.Dropout(0.3, seed=5),
    lambda: layers.SimpleRNN(5, activation="relu", return_sequences=True, dropout=0.1),
    lambda: layers.LSTM(5, unit_forget_bias=False, recurrent_dropout=0.2, go_backwards=True,
                        bptt_truncate=10),
    lambda: layers.GRU(5, reset_after=False, return_state=True,
                       kernel_initializer="he_normal", recurrent_initializer="glorot_uniform"),
    lambda: layers.Bidirectional(layers.GRU(5, return_sequences=True), merge_mode="ave"),
    lambda: layers.Bidirectional(layers.LSTM(5), merge_mode=None,
                                 backward_layer=layers.LSTM(5, go_backwards=True,
                                                            activation="relu")),
    lambda: layers.InputLayer(shape=(100,), dtype="int32"),
]


@pytest.mark.parametrize("make", LAYERS_FOR_CONFIG)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


# ---- configs against Keras, not against themselves ------------------------------------------------
# A round trip passes when get_config and from_config forget the same option; these compare with
# a hand-written config and with real Keras's, key by key.
def test_lstm_config_by_hand():
    lstm = layers.LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=False,
                       bias_initializer="ones", dropout=0.25, recurrent_dropout=0.4,
                       return_sequences=True, return_state=True, go_backwards=True, unroll=True,
                       seed=3, bptt_truncate=5, name="lstm_x", dtype="float64")
    assert lstm.get_config() == {
        "name": "lstm_x", "trainable": True, "dtype": "float64", "units": 4,
        "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform",
                               "config": {"seed": None, "input_axes": None, "output_axes": None}},
        "recurrent_initializer": {"class_name": "Orthogonal",
                                  "config": {"seed": None, "gain": 1.0}},
        "bias_initializer": {"class_name": "Ones", "config": {}},
        "unit_forget_bias": False, "dropout": 0.25, "recurrent_dropout": 0.4,
        "return_sequences": True, "return_state": True, "go_backwards": True, "seed": 3,
        "bptt_truncate": 5}, "the config must carry every option given (Keras's keys)"


# Keras options rnnkit does not write, at the value Keras writes when they are off (rnnkit refuses
# any other value of them).
NOT_WRITTEN = {
    "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
    "activity_regularizer": None, "embeddings_regularizer": None, "kernel_constraint": None,
    "recurrent_constraint": None, "bias_constraint": None, "embeddings_constraint": None,
    "quantization_config": None, "stateful": False, "zero_output_for_mask": False,
}
IGNORED = {"unroll"}             # how a backend runs the loop: accepted, changes nothing here
RNNKIT_ONLY = {"bptt_truncate", "seed"}      # Keras's SimpleRNN takes a seed but does not write it


def comparable(key, value):
    """Keras's spelling and rnnkit's of the same value: dtype policies, initializers, tuples."""
    if key == "dtype" and isinstance(value, dict):
        return value["config"]["name"]
    if key.endswith("initializer") and isinstance(value, dict):
        return value["class_name"], {k: v for k, v in value["config"].items() if v is not None}
    return tuple(value) if isinstance(value, list) else value


def assert_config_matches_keras(ours: dict, theirs: dict, where: str) -> None:
    for key, k_value in theirs.items():
        if key in IGNORED or (key == "name" and where.endswith("]")):  # nested names: see below
            continue
        if key in ("layer", "backward_layer") and key in ours:
            assert ours[key]["class_name"] == k_value["class_name"], f"{where}{key}"
            assert_config_matches_keras(ours[key]["config"], k_value["config"], f"{where}[{key}]")
        elif key not in ours:
            assert key in NOT_WRITTEN and k_value == NOT_WRITTEN[key], \
                f"{where}: get_config drops {key!r} (Keras writes {k_value!r})"
        else:
            assert comparable(key, ours[key]) == comparable(key, k_value), \
                f"{where}: {key} is {ours[key]!r} in rnnkit, {k_value!r} in Keras"
    assert set(ours) - set(theirs) <= RNNKIT_ONLY, f"{where}: keys Keras does not write"


RECURRENT_OPTIONS = dict(dropout=0.25, recurrent_dropout=0.4, return_sequences=True,
                         return_state=True, go_backwards=True, unroll=True, seed=3,
                         dtype="float64", name="rnn")
KERAS_CONFIG_PAIRS = {
    "simple_rnn": lambda L: L.SimpleRNN(4, activation="relu", use_bias=False,
                                        kernel_initializer="he_normal", **RECURRENT_OPTIONS),
    "lstm": lambda L: L.LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=False,
                             bias_initializer="ones", **RECURRENT_OPTIONS),
    "gru": lambda L: L.GRU(4, reset_after=False, recurrent_initializer="glorot_uniform",
                           **RECURRENT_OPTIONS),
    "embedding": lambda L: L.Embedding(30, 4, mask_zero=True, name="emb", dtype="float64"),
    "dense": lambda L: L.Dense(3, activation="tanh", use_bias=False, kernel_initializer="zeros",
                               name="d", trainable=False),
    "dropout": lambda L: L.Dropout(0.3, noise_shape=(None, 1, 5), seed=7, name="drop"),
    "bidirectional": lambda L: L.Bidirectional(L.GRU(3, return_sequences=True, dropout=0.1),
                                               merge_mode="ave", name="bi"),
    "bidirectional_own_backward": lambda L: L.Bidirectional(
        L.LSTM(3, return_sequences=True), merge_mode=None, name="bi2",
        backward_layer=L.LSTM(3, go_backwards=True, return_sequences=True, activation="relu")),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", KERAS_CONFIG_PAIRS)
def test_config_equals_keras(name):
    """Every key Keras writes is in rnnkit's config with Keras's value (Bidirectional's
    backward_layer included; nested layers' names aside: they count from each library's own
    session here, test_config_parity compares them), or is an option rnnkit does not have."""
    keras = pytest.importorskip("keras")
    make = KERAS_CONFIG_PAIRS[name]
    theirs = make(keras.layers).get_config()
    ours = make(layers).get_config()
    assert_config_matches_keras(ours, theirs, name)


def test_same_seed_same_weights():
    def weights():
        rnnkit.set_random_seed(3)
        layer = layers.LSTM(4)
        layer.ensure_built((None, 2, 3))
        return layer.get_weights()

    for a, b in zip(weights(), weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_masked_step_carries_state_and_repeats_output():
    """Keras's masking: pre-padding leaves the last output equal to the unpadded sequence's."""
    rnnkit.set_random_seed(0)
    lstm = layers.LSTM(3)
    x = np.random.default_rng(0).standard_normal((1, 4, 2)).astype(np.float32)
    padded = np.concatenate([np.zeros((1, 3, 2), np.float32), x], axis=1)
    mask = np.r_[[False] * 3, [True] * 4][None]
    np.testing.assert_allclose(lstm(padded, mask=mask), lstm(x), atol=1e-6)
