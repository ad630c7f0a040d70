"""Recipes whose layers name their inputs become Functional models: the shipped kim-cnn and
bigru-maxpool, a tiny graph recipe trained end to end through the CLI, and the one-line errors
for inputs that name no earlier layer."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rnnkit
from rnnkit.cli import main
from rnnkit.workflow import recipes
from rnnkit.workflow.build import build_model
from rnnkit.workflow.data import input_shape
from rnnkit.workflow.recipes import RecipeError

from .conftest import GRAPH_LAYERS, write_layers_recipe

# Parameter counts by hand (Keras's formulas):
#   Embedding n·d; Conv1D k·d·f + f; GRU (reset_after) 3u(d + u) + 2·3u; Dense (in + 1)·out.
KIM_CNN = 10000 * 64 + sum(k * 64 * 64 + 64 for k in (3, 4, 5)) + (3 * 64 + 1)
BIGRU_MAXPOOL = 10000 * 128 + 2 * (3 * 64 * (128 + 64) + 2 * 3 * 64) + (128 + 128 + 1)   # max and mean of 2·64


def _model(name: str, n_classes: int = 2):
    config = recipes.load(name)
    return build_model(config, input_shape(config["data"]), n_classes)


def test_kim_cnn_is_three_convolutions_over_one_embedding():
    model = _model("kim-cnn")
    assert isinstance(model, rnnkit.Model) and not isinstance(model, rnnkit.Sequential)
    assert model.count_params() == KIM_CNN == 689_537
    convs = [layer for layer in model.layers if isinstance(layer, rnnkit.layers.Conv1D)]
    assert [c.kernel_size for c in convs] == [3, 4, 5]
    embedding = model.get_layer("embedding")
    # every width reads the same embedded sequence: one Embedding call feeds three Conv1D calls
    readers = [n for n in model.nodes if any(t._keras_history.layer is embedding
                                             for t in n.input_tensors)]
    assert sorted(n.layer.name for n in readers) == ["conv_3", "conv_4", "conv_5"]
    assert model.output_shape == (None, 1)


def test_bigru_maxpool_pools_every_step_two_ways():
    model = _model("bigru-maxpool")
    assert model.count_params() == BIGRU_MAXPOOL == 1_354_753
    merged = model.get_layer(index=-3)
    assert isinstance(merged, rnnkit.layers.Concatenate)
    assert model.output_shape == (None, 1)


def test_a_graph_recipe_sizes_its_output_for_many_classes():
    assert _model("kim-cnn", n_classes=5).output_shape == (None, 5)


@pytest.mark.parametrize("inputs, message", [
    ('"nowhere"', r"model\.layers\.3\.inputs names 'nowhere', which no earlier layer is "
                  r"called; give that layer name = 'nowhere' or use one of: .*emb"),
    ("3", r"model\.layers\.3\.inputs: 3 is not a layer name or a list of layer names"),
    ("[]", r"model\.layers\.3\.inputs: \[\] is not a layer name"),
])
def test_inputs_that_name_no_earlier_layer_are_one_line_errors(tmp_path, inputs, message):
    recipe = _graph_recipe(tmp_path).read_text().replace('inputs = "emb"', f"inputs = {inputs}",
                                                         1)
    path = tmp_path / "bad.toml"
    path.write_text(recipe)
    config = recipes.load(str(path))
    with pytest.raises(RecipeError, match=message):
        build_model(config, input_shape(config["data"]), 2)


def test_merging_shapes_that_do_not_fit_is_a_recipe_error(tmp_path):
    # a pooled (batch, 6) output and a per-step (batch, 12, 6) one cannot be concatenated
    recipe = _graph_recipe(tmp_path).read_text().replace('["max", "mean"]', '["max", "gru"]')
    path = tmp_path / "bad.toml"
    path.write_text(recipe)
    config = recipes.load(str(path))
    with pytest.raises(RecipeError, match=r"model\.layers\.5: Concatenate cannot take its input"):
        build_model(config, input_shape(config["data"]), 2)


def _graph_recipe(tmp_path, epochs: int = 3):
    return write_layers_recipe(tmp_path, GRAPH_LAYERS, epochs)


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_graph_recipe_trains_predicts_and_evaluates_through_the_cli(tmp_path, capsys, engine):
    if engine == "torch":
        pytest.importorskip("torch")
    runs = tmp_path / "runs"
    assert main(["train", str(_graph_recipe(tmp_path)), "--runs-dir", str(runs), "--quiet",
                 "--engine", engine]) == 0
    (run,) = runs.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.8          # the signal words are easy to find
    capsys.readouterr()
    assert main(["predict", str(run), "good great superb film", "--json"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["label"] == "Positive"
    # the saved file is the Functional model with the text encoding first; it reads raw text
    model = rnnkit.models.load_model(run / "model.keras")
    assert type(model).__name__ == "Functional"
    p = model.predict(np.array(["good great superb film", "bad awful dull film"]), verbose=0)
    assert p[0, 0] > 0.5 > p[1, 0]
    np.testing.assert_allclose(p[0, 0], record["probabilities"]["Positive"], atol=1e-6)


@pytest.fixture(scope="module")
def graph_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("graph")
    assert main(["train", str(_graph_recipe(tmp)), "--runs-dir", str(tmp / "runs"),
                 "--quiet"]) == 0
    (run,) = (tmp / "runs").iterdir()
    return run


@pytest.mark.oracle
def test_a_graph_run_exports_a_functional_keras_file_that_keras_loads(graph_run):
    keras = pytest.importorskip("keras")
    assert main(["export", str(graph_run), "--format", "keras"]) == 0
    ours = rnnkit.models.load_model(graph_run / "model.keras")
    theirs = keras.models.load_model(graph_run / "model-ids.keras")
    assert type(theirs).__name__ == "Functional"
    assert [layer.name for layer in theirs.layers][1:] == [layer.name for layer in
                                                           ours.compute_layers]
    texts = ["good great superb film", "bad awful dull film", "the plot and the actors"]
    ids = ours.preprocess(np.array(texts))
    np.testing.assert_allclose(theirs.predict(ids, verbose=0), ours.predict(texts, verbose=0),
                               atol=1e-6)


def test_a_graph_run_is_not_exported_to_onnx_but_told_how_to_save_it(graph_run, capsys):
    pytest.importorskip("onnx")
    assert main(["export", str(graph_run), "--format", "onnx"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "is a graph of layers" in err and "--format keras" in err
    assert not (graph_run / "model.onnx").exists()
