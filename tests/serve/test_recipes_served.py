"""``rnnkit serve`` on a run of every shipped recipe — stacked, bidirectional, one-hot rows,
truncated BPTT, 46 classes — starts and answers every endpoint, over real HTTP. The runs are
the recipes' models with random weights over made-up words (sequences cut to 12, as in
tests/insight/test_recipes_explained.py), saved as `rnnkit train` saves them."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from .conftest import needs_serve

needs_serve()

from insight._models import randomized
from insight.test_recipes_explained import TEXT, _encoding

from rnnkit import load_classifier
from rnnkit.workflow import recipes
from rnnkit.workflow.build import build_model
from rnnkit.workflow.data import input_shape

from ._server import running


def _run_of(name: str, folder):
    """A run directory holding the recipe's model (its encoding first, classes in its
    metadata) and its resolved config, as `rnnkit train` leaves them."""
    config = recipes.load(name, ["data.maxlen=12"])
    encoder = _encoding(config["data"])
    model = randomized(build_model(config, input_shape(config["data"]), n_classes=None,
                                   text_layer=encoder), scale=0.3)
    outputs = model.output_shape[-1]
    values = [f"c{i}" for i in range(2 if outputs == 1 else outputs)]
    model.metadata.update(classes={"values": values, "names": values}, recipe=name)
    folder.mkdir()
    model.save(folder / "model.keras")
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", [info.name for info in recipes.available()])
def test_every_shipped_recipe_is_served(name, tmp_path):
    from rnnkit.serve.app import app_for
    run = _run_of(name, tmp_path / name)
    classifier = load_classifier(run)
    texts = [TEXT, "w1 w2 w3", ""]
    with running(app_for(run)) as url, httpx.Client(base_url=url, timeout=60) as client:
        assert client.get("/readyz").json()["ready"] is True
        card = client.get("/v1/model").json()
        assert card["recipe"]["name"] == name and card["maxlen"] == 12
        results = client.post("/v1/predict", json={"texts": texts}).json()["results"]
        np.testing.assert_allclose([list(r["probabilities"].values()) for r in results[:2]],
                                   classifier.predict_proba(texts[:2]), rtol=1e-6, atol=1e-7)
        assert results[2]["error"] == "empty text"
        explained = client.post("/v1/explain", json={"text": TEXT, "method": "occlusion"})
        assert explained.status_code == 200, explained.text
        inspected = client.post("/v1/inspect", json={"text": TEXT})
        if card["recurrent_layers"]:
            assert inspected.status_code == 200, inspected.text
            layers = inspected.json()["layers"]
            assert len(layers) == sum(2 if r["type"] == "Bidirectional" else 1
                                      for r in card["recurrent_layers"])
        else:                                              # kim-cnn: convolutions only
            assert inspected.status_code == 422 and "no recurrent layer" in inspected.text
        assert client.get("/").status_code == 200
