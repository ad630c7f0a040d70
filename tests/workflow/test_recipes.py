"""Shipped recipes resolve; --set overrides are typed and checked."""

from __future__ import annotations

import pytest

from rnnkit.workflow import recipes
from rnnkit.workflow.build import build_model
from rnnkit.workflow.data import input_shape

ISSUE_RECIPES = {"default", "lstm", "lstm-dropout", "lstm-2layer", "gru", "simplernn", "lstm32",
                 "reuters-gru", "bigru", "bilstm", "scratch-rnn", "onehot-simplernn",
                 "embedding-simplernn"}
#: baselines of issue 17 beside the material's experiments: no figure of the material's to match
BASELINES = {"kim-cnn", "bigru-maxpool"}

#: parameter counts the study material's summaries show
PARAMS = {"lstm": 8809, "gru": 8000 + 624 + 9, "simplernn": 320000 + 2080 + 33,
          "bigru": 1_280_000 + 74_496 + 129}


def test_every_experiment_is_shipped_with_its_figure():
    names = {r.name for r in recipes.available()}
    assert names == ISSUE_RECIPES | BASELINES
    for name in ISSUE_RECIPES - {"default"}:
        config = recipes.load(name)
        assert config["reported"]["metric"] in ("test_accuracy", "val_accuracy"), name
        assert 0.5 < config["reported"]["value"] < 1.0, name
        assert recipes.reported_text(config), name
    for name in BASELINES:
        assert not recipes.reported_text(recipes.load(name)), name


@pytest.mark.parametrize("name", sorted(ISSUE_RECIPES | BASELINES))
def test_recipe_builds_its_model(name):
    config = recipes.load(name)
    n_classes = config["data"]["categories"] if config["data"]["source"] == "reuters21578" else 2
    model = build_model(config, input_shape(config["data"]), n_classes)
    if name in PARAMS:
        assert model.count_params() == PARAMS[name]


def test_overrides_keep_types_and_reach_layers():
    config = recipes.load("lstm", ["train.epochs=5", "train.learning_rate=1",
                                   "model.layers.1.units=16", "model.layers.1.dropout=0.2",
                                   "data.class_names=[\"no\", \"yes\"]"])
    assert config["train"]["epochs"] == 5
    assert config["train"]["learning_rate"] == 1.0 and isinstance(
        config["train"]["learning_rate"], float)
    assert config["model"]["layers"][1] == {"type": "LSTM", "units": 16, "dropout": 0.2}
    assert config["data"]["class_names"] == ["no", "yes"]
    assert recipes.load("lstm")["model"]["layers"][1] == {"type": "LSTM", "units": 8}


def test_a_recipe_file_with_an_unknown_key_is_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[train]\nepochz = 3\n')
    with pytest.raises(recipes.RecipeError, match="unknown key 'epochz'.*epochs"):
        recipes.load(str(path))
