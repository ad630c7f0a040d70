"""Gates and states of ``rnnkit.insight`` equal a plain-NumPy recomputation from the layers'
``get_weights()`` (tests/insight/_reference.py), for every cell and arrangement and for a model
shaped like every shipped recipe; the units and saturation figures follow their definitions."""

from __future__ import annotations

import numpy as np
import pytest

import rnnkit
from rnnkit import layers
from rnnkit.insight import ExplainError, gate_activations, inspect_text

from ._reference import model_gates, sigmoid

B, T, V, E, U = 3, 8, 15, 4, 5
ARRANGEMENTS = ("forward", "go_backwards", "bidirectional", "stacked")
CELLS = {"SimpleRNN": lambda **kw: layers.SimpleRNN(U, **kw),
         "LSTM": lambda **kw: layers.LSTM(U, **kw),
         "GRU": lambda **kw: layers.GRU(U, **kw),
         "GRU-reset-before": lambda **kw: layers.GRU(U, reset_after=False, **kw)}
EXPECTED_NAMES = {"SimpleRNN": {"h"}, "LSTM": {"i", "f", "o", "g", "h", "c"},
                  "GRU": {"z", "r", "h_hat", "h"}, "GRU-reset-before": {"z", "r", "h_hat", "h"}}


def randomize(model, scale=0.7, seed=5):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-scale, scale, w.shape).astype(w.dtype)
                       for w in model.weights])
    return model


def ids(masked: bool) -> np.ndarray:
    x = np.random.default_rng(2).integers(1, V, (B, T))
    if masked:
        x[0, :3] = 0          # pre-padding
        x[1, 5] = 0           # a hole
    return x


def build(cell: str, arrangement: str, masked: bool):
    make = CELLS[cell]
    if arrangement == "bidirectional":
        middle = [layers.Bidirectional(make())]
    elif arrangement == "stacked":
        middle = [make(return_sequences=True), make()]
    else:
        middle = [make(go_backwards=arrangement == "go_backwards")]
    model = rnnkit.Sequential([layers.Input((T,)), layers.Embedding(V, E, mask_zero=masked),
                               *middle, layers.Dense(1, activation="sigmoid")])
    return randomize(model)


def assert_same_gates(found, expected, tol=1e-5):
    assert len(found) == len(expected)
    for got, want in zip(found, expected):
        series = got.series()
        assert set(series) == set(want) - {"final_h"}, got.layer
        for name, values in series.items():
            np.testing.assert_allclose(values, want[name], atol=tol, equal_nan=True,
                                       err_msg=f"{got.layer} {got.direction} {name}")
        np.testing.assert_allclose(got.final_state, want["final_h"], atol=tol)


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
@pytest.mark.parametrize("cell", list(CELLS))
def test_gates_equal_a_recomputation_from_the_weights(cell, arrangement, masked):
    model = build(cell, arrangement, masked)
    x = ids(masked)
    found = gate_activations(model, x)
    assert_same_gates(found.layers, model_gates(model, x, (x != 0) if masked else None))
    for layer in found.layers:
        assert set(layer.series()) == EXPECTED_NAMES[cell]
        assert layer.gates.keys() <= {"i", "f", "o", "z", "r"}
    assert [g.direction for g in found.layers] == {
        "forward": ["forward"], "go_backwards": ["backward"],
        "bidirectional": ["forward", "backward"], "stacked": ["forward", "forward"]}[arrangement]


def test_a_skipped_step_shows_no_gates_and_carries_the_state():
    model = build("LSTM", "forward", masked=True)
    (lstm,) = gate_activations(model, ids(True)).layers
    assert np.isnan(lstm.gates["f"][0, :3]).all() and np.isnan(lstm.gates["f"][1, 5]).all()
    np.testing.assert_array_equal(lstm.states["c"][1, 5], lstm.states["c"][1, 4])
    np.testing.assert_array_equal(lstm.states["h"][0, :3], 0.0)
    assert not np.isnan(lstm.gates["f"][2]).any()


def test_the_units_that_move_the_prediction():
    """RNN → Dense(1, sigmoid): ∂p/∂h_T = ±p(1 − p)·w, the sign of the predicted class."""
    model = build("GRU", "forward", masked=False)
    x = ids(False)
    found = gate_activations(model, x)
    (gru,) = found.layers
    kernel, bias = model.compute_layers[-1].get_weights()
    h_T = model_gates(model, x)[0]["final_h"]
    p = sigmoid(h_T @ kernel + bias)[:, 0]
    sign = np.where(p > 0.5, 1.0, -1.0)
    np.testing.assert_array_equal(found.predicted, (p > 0.5).astype(int))
    expected = (sign * p * (1 - p))[:, None] * kernel[:, 0]
    np.testing.assert_allclose(gru.final_gradient, expected, atol=1e-6)
    top = gru.top_units(row=1, k=3)
    share = np.abs(expected[1] * h_T[1])
    assert [u.unit for u in top] == list(np.argsort(-share)[:3])
    assert top[0].contribution == pytest.approx(expected[1, top[0].unit] * h_T[1, top[0].unit],
                                                abs=1e-6)


def test_saturation_counts_the_gate_values():
    model = build("LSTM", "forward", masked=True)
    x = ids(True)
    (lstm,) = gate_activations(model, x).layers
    where = x != 0
    f = lstm.gates["f"][where]
    sat = lstm.saturation(where)["f"]
    assert sat.low == pytest.approx((f < 0.1).mean()) and sat.high == pytest.approx((f > 0.9).mean())
    assert set(lstm.saturation()) == {"i", "f", "o"}      # gates only; NaN steps left out
    everything = lstm.gates["o"][~np.isnan(lstm.gates["o"])]
    assert lstm.saturation()["o"].high == pytest.approx((everything > 0.9).mean())


def test_a_layer_normalized_lstm_shows_its_lstm_gates():
    """LayerNormLSTMCell's step cache keeps i, f, g, o under LSTMCell's names: its gates are
    σ outputs, its states the normalized c and h."""
    model = randomize(rnnkit.Sequential([layers.Input((T,)), layers.Embedding(V, E),
                                         layers.LayerNormLSTM(U), layers.Dense(1, "sigmoid")]))
    (ln,) = gate_activations(model, ids(False)).layers
    assert set(ln.series()) == {"i", "f", "o", "g", "h", "c"}
    assert all(((v > 0) & (v < 1)).all() for v in ln.gates.values())
    o, c = ln.gates["o"], ln.states["c"]
    np.testing.assert_allclose(ln.states["h"], o * np.tanh(c), atol=1e-6)   # h' = o ⊙ g(c')


def test_a_cell_that_names_no_gates_shows_its_states():
    from rnnkit.layers.cells import SimpleRNNCell

    class PlainCell(SimpleRNNCell):
        """A custom cell: the protocol's defaults, no gate fields."""

    model = randomize(rnnkit.Sequential([layers.Input((T,)), layers.Embedding(V, E),
                                         layers.RNN(PlainCell(U)), layers.Dense(1, "sigmoid")]))
    (plain,) = gate_activations(model, ids(False)).layers
    assert plain.gates == {} and plain.candidates == {} and set(plain.states) == {"h"}
    assert plain.saturation() == {}


# ---- every shipped recipe's model -------------------------------------------------------------------
WORDS = ["the", "film", "was", "a", "great", "and", "moving", "story", "but", "the", "plot",
         "felt", "dull", "and", "the", "actors", "were", "weak", "yet", "the", "music", "is",
         "wonderful", "while", "every", "scene", "looks", "fine", "this", "movie", "has", "good",
         "moments"]


def made_encoder(data: dict):
    """The recipe's encoding on a tiny made vocabulary."""
    from rnnkit.layers.text_encoding import KerasImdbEncoding, TokenizerEncoding
    if data["encoding"] == "tokenizer":
        return TokenizerEncoding.fit([" ".join(WORDS)], data["num_words"], data["maxlen"])
    ranks = {w: r for r, w in enumerate(dict.fromkeys(WORDS), start=data["skip_top"] + 1)}
    return KerasImdbEncoding(ranks, data["num_words"], data["maxlen"],
                             skip_top=data["skip_top"], drop_ids_below=data["drop_ids_below"],
                             onehot=data["onehot"])


def recipe_model(name: str):
    from rnnkit.workflow import recipes
    from rnnkit.workflow.build import build_model
    from rnnkit.workflow.data import input_shape
    config = recipes.load(name)
    encoder = made_encoder(config["data"])
    model = build_model(config, input_shape(config["data"]), None, text_layer=encoder)
    return randomize(model, scale=0.3), encoder


def shipped():
    from rnnkit.workflow import recipes
    return [r.name for r in recipes.available()]


@pytest.mark.parametrize("name", shipped())
def test_inspect_reads_every_shipped_recipes_model(name):
    model, encoder = recipe_model(name)
    text = "the film was wonderful zyzzyva and the music moving"
    if not any(isinstance(layer, (layers.RNN, layers.Bidirectional))
               for layer in model.compute_layers):           # kim-cnn: convolutions only
        with pytest.raises(ExplainError, match="has no recurrent layer"):
            inspect_text(model, text)
        return
    seen = inspect_text(model, text)
    row = np.asarray(encoder.encode([text]))
    assert_same_gates(seen.layers, model_gates(model, row), tol=2e-5)
    directions = sum(2 if isinstance(layer, layers.Bidirectional) else 1
                     for layer in model.compute_layers
                     if isinstance(layer, (layers.RNN, layers.Bidirectional)))
    assert len(seen.layers) == directions
    maxlen = encoder.maxlen
    assert len(seen.labels) == maxlen and seen.labels[-1] == "moving"
    assert seen.labels[0] == "<pad>" and seen.statuses[0] == "padding"
    if encoder.kind == "tokenizer":                      # unknown words are dropped
        assert seen.dropped == ["zyzzyva"] and seen.labels[-5] == "wonderful"
    else:                                                # … or read as the oov mark
        assert "(zyzzyva)" in seen.labels or seen.dropped == ["zyzzyva"]
    for layer in seen.layers:
        for values in layer.series().values():
            assert values.shape == (1, maxlen, layer.units)


def test_the_start_mark_and_words_cut_by_maxlen():
    from rnnkit.layers.text_encoding import KerasImdbEncoding
    encoder = KerasImdbEncoding({w: r for r, w in enumerate(dict.fromkeys(WORDS), 1)},
                                num_words=60, maxlen=6)
    model = randomize(rnnkit.Sequential([layers.Input((), dtype="string"), encoder,
                                         layers.Embedding(60, E), layers.LSTM(U),
                                         layers.Dense(1, "sigmoid")]))
    short = inspect_text(model, "great film")
    assert short.labels == ["<pad>"] * 3 + ["<start>", "great", "film"]
    assert short.statuses[:4] == ["padding"] * 3 + ["start"]
    long = inspect_text(model, "the film was a great and moving story")
    assert long.cut == ["the", "film"] and long.labels[0] == "was"     # the start mark too


def test_a_model_without_a_text_encoding_asks_for_one():
    model = build("LSTM", "forward", masked=False)
    with pytest.raises(ValueError, match="does not start with a text encoding layer"):
        inspect_text(model, "some words")
