"""Explanations, gates and gradient flow on Functional (graph) models: the body after the
Embedding branches, merges, reads a tensor twice or calls a layer twice, and the Embedding's
mask flows into it.

Expected values come from outside rnnkit.insight: float64 central differences and ``predict``
of the model itself (with the embedding row ZERO_ID set to zero, so that ``predict`` computes
the baseline too), torch autograd for the second engine, and Dense weights by hand for the
gradient at a recurrent layer's final state.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from workflow.conftest import GRAPH_LAYERS, write_layers_recipe

import rnnkit
from rnnkit import layers as L
from rnnkit.cli import main
from rnnkit.insight import (
    METHODS,
    ExplainError,
    ModelInput,
    class_score,
    explain,
    gate_activations,
    gradient_flow,
)
from rnnkit.workflow.evaluation import class_probabilities

from ._models import MAXLEN, ZERO_ID, baseline_row, randomized, tokenizer_encoding
from ._reference import run_cell

TEXTS = ["w1 w2 w3 w4", "w5 w2 w9 w9 w11 w3 w7 w8 w1 w2 w4 w6", "w3 w27 w8 w1 w28 w5"]


# ---- small graph models with random weights -------------------------------------------------------
def _embedded(dtype):
    inputs = rnnkit.Input(shape=(MAXLEN,), dtype="int32")
    return inputs, L.Embedding(ZERO_ID + 1, 6, mask_zero=True, dtype=dtype)(inputs)


def branches(dtype=None):
    """Embedding(mask_zero) read twice: by a GRU (which reads the mask) and by a Conv1D + max
    pooling (which drops it) → Concatenate → Dense(1, sigmoid)."""
    inputs, e = _embedded(dtype)
    g = L.GRU(5, dtype=dtype, name="gru")(e)
    c = L.GlobalMaxPooling1D(dtype=dtype)(L.Conv1D(4, 3, activation="tanh", dtype=dtype)(e))
    merged = L.Concatenate(dtype=dtype)([g, c])
    return rnnkit.Model(inputs, L.Dense(1, activation="sigmoid", dtype=dtype)(merged))


def pooled_twice(dtype=None):
    """Bidirectional(GRU, every step) read twice — max and mean over time, the mean weighing
    only the steps the mask keeps — → Concatenate → Dense(3, softmax)."""
    inputs, e = _embedded(dtype)
    s = L.Bidirectional(L.GRU(3, return_sequences=True, dtype=dtype), dtype=dtype)(e)
    merged = L.Concatenate(dtype=dtype)([L.GlobalMaxPooling1D(dtype=dtype)(s),
                                         L.GlobalAveragePooling1D(dtype=dtype)(s)])
    return rnnkit.Model(inputs, L.Dense(3, activation="softmax", dtype=dtype)(merged))


def shared_gru(dtype=None):
    """One GRU called twice: on the embedded vectors and on a same-width Conv1D of them; the
    final states added → Dense(1, sigmoid)."""
    inputs, e = _embedded(dtype)
    gru = L.GRU(4, dtype=dtype)
    conv = L.Conv1D(6, 3, padding="same", activation="tanh", dtype=dtype)(e)
    added = L.Add(dtype=dtype)([gru(e), gru(conv)])
    return rnnkit.Model(inputs, L.Dense(1, activation="sigmoid", dtype=dtype)(added))


MODELS = {"branches": branches, "pooled-twice": pooled_twice, "shared-gru": shared_gru}


def graph_model(name: str, dtype=None, scale: float = 0.8):
    """The model with random weights and a zero embedding row at ZERO_ID (the baseline's)."""
    model = randomized(MODELS[name](dtype), scale=scale)
    model.get_layer(model.compute_layers[0].name).embeddings[ZERO_ID] = 0.0
    return model


def targets(model) -> list[int]:
    units = model.output_shape[-1]
    return [0, 1] if units == 1 else list(range(units))


def probabilities(model, rows) -> np.ndarray:
    return class_probabilities(model.predict(np.asarray(rows), verbose=0))


# ---- (a) the body's gradient is the gradient of f_c -----------------------------------------------
#: one padding position (masked for the GRU, read by the Conv1D) and a different id at every
#: other one, so that moving the embedding row of id row[t] moves v_t alone
ROW = np.array([0, 3, 7, 1, 5, 9, 2, 4, 8])


def central_differences(model, row, target: int, h: float = 1e-6) -> np.ndarray:
    """∂f_c/∂v_t,k = (f(E[row_t, k] + h) − f(E[row_t, k] − h)) / 2h, f from ``predict``."""
    table = model.compute_layers[0].embeddings
    grad = np.zeros((len(row), table.shape[1]))
    for t, word in enumerate(row):
        for k in range(table.shape[1]):
            kept = table[word, k]
            table[word, k] = kept + h
            up = probabilities(model, row[None])[0, target]
            table[word, k] = kept - h
            down = probabilities(model, row[None])[0, target]
            table[word, k] = kept
            grad[t, k] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("name", MODELS)
def test_the_body_gradient_is_the_central_difference(name, engine):
    if engine == "torch":
        pytest.importorskip("torch")
    model = graph_model(name, dtype="float64", scale=0.5)
    model_input = ModelInput.of(model)
    v, mask = model_input.vectors(ROW[None])
    assert v.dtype == np.float64 and mask is not None and not mask[0, 0]
    for target in targets(model):
        f, g = class_score(model_input, target, engine).gradient(v, mask)
        assert f[0] == pytest.approx(probabilities(model, ROW[None])[0, target], abs=1e-12)
        np.testing.assert_allclose(g[0], central_differences(model, ROW, target), atol=1e-6)


# ---- (b) integrated gradients add up ---------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_integrated_gradients_complete_on_a_graph(name):
    model, encoder = graph_model(name), tokenizer_encoding()
    tested = 0
    for text in TEXTS:
        row = encoder.encode([text])
        for target in targets(model):
            e = explain(model, encoder, text, target=target)
            f_x = probabilities(model, row)[0, target]
            f_base = probabilities(model, baseline_row(row))[0, target]
            assert e.probability == pytest.approx(f_x, abs=1e-6)
            assert e.baseline_probability == pytest.approx(f_base, abs=1e-6)
            assert e.complete, (text, target, e.completeness_gap)
            if abs(f_x - f_base) > 1e-3:           # below that, 1% is float32 rounding
                assert abs(e.total - (f_x - f_base)) < 0.01 * abs(f_x - f_base)
                tested += 1
    assert tested >= len(TEXTS)


# ---- (c) the two engines agree ---------------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_numpy_and_torch_attributions_agree_on_a_graph(name):
    pytest.importorskip("torch")
    model, encoder = graph_model(name), tokenizer_encoding()
    for text in TEXTS[:2]:
        for method in METHODS:
            for target in targets(model):
                a = explain(model, encoder, text, method, target, steps=None, engine="numpy")
                b = explain(model, encoder, text, method, target, engine="torch")
                np.testing.assert_allclose(np.array(a.attributions, dtype=float),
                                           np.array(b.attributions, dtype=float), atol=1e-5)
                assert a.baseline_probability == pytest.approx(b.baseline_probability,
                                                               abs=1e-5)


# ---- (d) occlusion is predict without the word -----------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_occlusion_is_predict_without_the_word(name):
    model, encoder = graph_model(name), tokenizer_encoding()
    text = TEXTS[1]
    row = np.asarray(encoder.encode([text]))[0]
    for target in targets(model):
        e = explain(model, encoder, text, "occlusion", target)
        for position, value in zip(e.positions, e.attributions):
            if position is None:
                continue
            without = np.concatenate([[0], np.delete(row, position)])     # one padding in front
            expected = np.diff(probabilities(model, [without, row])[:, target])[0]
            assert value == pytest.approx(expected, abs=1e-6)


# ---- gates and gradient flow on a graph --------------------------------------------------------------
def test_gates_of_a_branch_and_the_gradient_at_its_final_state():
    """The GRU branch's gates equal the reference cell on the embedded rows (mask applied); its
    final state's ∂p/∂h_T is the Dense kernel's GRU rows times σ'(z) = p(1 − p) (the Conv1D
    branch adds nothing to it), signed for the predicted class."""
    model, encoder = graph_model("branches"), tokenizer_encoding()
    rows = np.asarray(encoder.encode(TEXTS))
    seen = gate_activations(model, rows)
    (layer,) = seen.layers
    gru = model.get_layer("gru")
    embedded = model.compute_layers[0].get_weights()[0].astype(np.float64)[rows]
    expected = run_cell("GRU", gru.get_weights(), embedded, rows != 0)
    for name in ("z", "r", "h_hat", "h"):
        np.testing.assert_allclose(layer.series()[name], expected[name], atol=2e-5,
                                   equal_nan=True)
    p = seen.output[:, 0]
    kernel = model.compute_layers[-1].get_weights()[0][:gru.units, 0]
    sign = np.where(seen.predicted == 1, 1.0, -1.0)
    np.testing.assert_allclose(layer.final_gradient,
                               (sign * p * (1 - p))[:, None] * kernel[None], atol=1e-6)


def test_gradient_flow_on_a_graph_ends_at_the_loss_gradient_of_the_final_state():
    """∂L/∂h_T of the last step is (p − y)/B times the Dense kernel's GRU rows (binary
    crossentropy fused with the sigmoid; L the batch's mean)."""
    model, encoder = graph_model("branches"), tokenizer_encoding()
    model.compile(loss="binary_crossentropy", optimizer="sgd")
    rows = np.asarray(encoder.encode(TEXTS))
    y = np.array([1, 0, 1])
    (flow,) = gradient_flow(model, rows, y)
    p = model.predict(rows, verbose=0)[:, 0]
    kernel = model.compute_layers[-1].get_weights()[0][:flow.units, 0]
    np.testing.assert_allclose(flow.loss_grads[:, -1],
                               ((p - y) / len(y))[:, None] * kernel[None], atol=1e-6)


def test_a_recurrent_layer_called_twice_is_refused_for_gates_in_one_line():
    model, encoder = graph_model("shared-gru"), tokenizer_encoding()
    with pytest.raises(ExplainError, match=r"called 2 times .*; `rnnkit explain` shows") as e:
        gate_activations(model, encoder.encode(TEXTS))
    assert "\n" not in str(e.value)


def test_a_model_whose_ids_are_read_twice_is_refused_in_one_line():
    inputs = rnnkit.Input(shape=(MAXLEN,), dtype="int32")
    a = L.GRU(3)(L.Embedding(ZERO_ID + 1, 4)(inputs))
    b = L.GlobalAveragePooling1D()(L.Embedding(ZERO_ID + 1, 4)(inputs))
    model = randomized(rnnkit.Model(inputs, L.Dense(1, activation="sigmoid")(
        L.Concatenate()([a, b]))))
    with pytest.raises(ExplainError, match="the only layer reading the ids") as e:
        explain(model, tokenizer_encoding(), TEXTS[0])
    assert "\n" not in str(e.value)


# ---- a graph recipe run: the commands and the server -------------------------------------------------
#: the workflow tests' graph recipe, its embedding masked
MASKED_GRAPH_LAYERS = GRAPH_LAYERS.replace('output_dim = 8, name = "emb"',
                                           'output_dim = 8, mask_zero = true, name = "emb"', 1)
#: no recurrent layer: explained, but refused by inspect
CONV_LAYERS = """layers = [
    { type = "Embedding", input_dim = 40, output_dim = 8, name = "emb" },
    { type = "Conv1D", filters = 6, kernel_size = 3, activation = "relu", name = "conv" },
    { type = "GlobalMaxPooling1D", name = "max", inputs = "conv" },
    { type = "GlobalAveragePooling1D", name = "mean", inputs = "conv" },
    { type = "Concatenate", inputs = ["max", "mean"] },
    { type = "Dense", units = 1, activation = "sigmoid" },
]
"""
TEXT = "a great and wonderful film, the plot was dull xyzzy"


def _train(folder, layers: str):
    recipe = write_layers_recipe(folder, layers)
    assert main(["train", str(recipe), "--runs-dir", str(folder / "runs"), "--quiet"]) == 0
    (run,) = (folder / "runs").iterdir()
    return run


@pytest.fixture(scope="module")
def graph_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("graph_run"), MASKED_GRAPH_LAYERS)


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("conv_run"), CONV_LAYERS)


def _json(capsys, *argv) -> dict:
    assert main(["explain", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _one_line_error(capsys, *argv) -> str:
    assert main(list(map(str, argv))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_explain_prints_an_explanation_of_a_graph_run(graph_run, capsys):
    from rnnkit.classifier import load_classifier
    assert main(["explain", str(graph_run), TEXT]) == 0
    out = capsys.readouterr().out
    assert "great and wonderful film" in out and "baseline" in out
    record = _json(capsys, graph_run, TEXT)
    p = load_classifier(graph_run).predict_proba([TEXT])[0]
    assert record["probability"] == pytest.approx(p.max(), abs=1e-6)
    change = record["probability"] - record["baseline_probability"]
    assert abs(record["attribution_sum"] - change) <= max(0.01 * abs(change), 1e-4)


def test_a_graph_runs_engines_agree_through_the_cli(graph_run, capsys):
    pytest.importorskip("torch")
    for method in METHODS:
        ours = _json(capsys, graph_run, TEXT, "--method", method)
        theirs = _json(capsys, graph_run, TEXT, "--method", method, "--engine", "torch")
        for a, b in zip(ours["tokens"], theirs["tokens"], strict=True):
            assert (a["attribution"] is None) == (b["attribution"] is None)
            assert a["attribution"] is None or abs(a["attribution"] - b["attribution"]) < 1e-5


def test_the_graph_runs_body_gradient_in_float64_is_the_central_difference(graph_run):
    """The trained run's model rebuilt in float64 from its own config, with its weights."""
    from rnnkit.classifier import load_classifier
    model = load_classifier(graph_run).model_
    config = model.get_config()
    twin = rnnkit.Model.from_config(json.loads(json.dumps(config).replace('"float32"',
                                                                          '"float64"')))
    for ours, theirs in zip(twin.layers, model.layers, strict=True):
        if ours.params():
            ours.set_weights([w.astype(np.float64) for w in theirs.get_weights()])
    model_input = ModelInput.of(twin)
    row = np.array([0, 0, 0, 5, 9, 2, 11, 4, 8, 13, 3, 7])[None]
    v, mask = model_input.vectors(row)
    assert v.dtype == np.float64
    f, g = class_score(model_input, 1, "numpy").gradient(v, mask)
    table = model_input.embedding.embeddings
    for t in range(3, row.shape[1]):                    # each word once; padding is id 0 ×3
        for k in range(table.shape[1]):
            kept = table[row[0, t], k]
            moved = []
            for h in (1e-6, -1e-6):
                table[row[0, t], k] = kept + h
                moved.append(class_score(model_input, 1, "numpy").values(
                    *model_input.vectors(row))[0])
            table[row[0, t], k] = kept
            assert g[0, t, k] == pytest.approx((moved[0] - moved[1]) / 2e-6, abs=1e-6)


def test_inspect_and_gradients_on_a_graph_run(graph_run, tmp_path, capsys):
    out = tmp_path / "inspect"
    assert main(["inspect", str(graph_run), TEXT, "--out", str(out)]) == 0
    document = json.loads((out / "inspect.json").read_text(encoding="utf-8"))
    (layer,) = document["layers"]
    assert layer["layer"] == "gru" and (out / layer["figure"]).exists()
    capsys.readouterr()
    assert main(["gradients", str(graph_run), "--out", str(tmp_path / "grad"), "--reviews", "4",
                 "--train-size", "40", "--epochs", "1", "--length", "4"]) == 0
    summary = json.loads((tmp_path / "grad" / "gradients.json").read_text(encoding="utf-8"))
    assert {row["cell"] for row in summary["curves"]} == {"SimpleRNN", "LSTM", "GRU"}


def test_a_graph_run_without_a_recurrent_layer_is_explained_but_not_inspected(
        conv_run, tmp_path, capsys):
    assert _json(capsys, conv_run, TEXT)["tokens"]
    err = _one_line_error(capsys, "inspect", conv_run, TEXT, "--out", tmp_path / "inspect")
    assert "has no recurrent layer" in err and "rnnkit explain" in err
    err = _one_line_error(capsys, "gradients", conv_run, "--out", tmp_path / "grad")
    assert "recurrent layer" in err


def test_the_server_explains_a_graph_run(graph_run):
    for name in ("fastapi", "uvicorn", "prometheus_client", "httpx"):
        pytest.importorskip(name)
    from serve.conftest import client_of

    from rnnkit.classifier import load_classifier
    from rnnkit.serve.app import app_for
    classifier = load_classifier(graph_run)
    with client_of(app_for(graph_run)) as client:
        card = client.get("/v1/model").json()
        assert [r["layer"] for r in card["recurrent_layers"]] == ["gru"]
        for method in METHODS:
            answer = client.post("/v1/explain", json={"text": TEXT, "method": method})
            assert answer.status_code == 200, answer.text
            assert answer.json() == json.loads(json.dumps(
                classifier.explain(TEXT, method).as_json()))
        assert client.post("/v1/inspect", json={"text": TEXT}).status_code == 200
