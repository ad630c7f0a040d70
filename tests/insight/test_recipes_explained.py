"""Every shipped recipe's model can be explained — stacked, bidirectional, one-hot rows,
truncated BPTT, 46 classes — with its own kind of text encoding, on both engines (float32,
1e-5), the integrated gradients adding up. Random weights (±0.3, biases too); sequences cut to 12
so that this stays fast."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.insight import METHODS, explain
from rnnkit.layers import KerasImdbEncoding, TokenizerEncoding
from rnnkit.workflow import recipes
from rnnkit.workflow.build import build_model
from rnnkit.workflow.data import input_shape

from ._models import randomized

WORDS = [f"w{i}" for i in range(1, 200)]
TEXT = " ".join(np.random.default_rng(0).choice(WORDS[:120], 16))       # cut at maxlen 12


def _encoding(data: dict):
    """The recipe's kind of encoding over made-up words (ranks: w1 most frequent)."""
    if data["encoding"] == "tokenizer":
        texts = [" ".join(WORDS[:n]) for n in range(1, len(WORDS))]
        return TokenizerEncoding.fit(texts, num_words=data["num_words"], maxlen=data["maxlen"])
    return KerasImdbEncoding({w: i for i, w in enumerate(WORDS, start=1)},
                             num_words=data["num_words"], maxlen=data["maxlen"],
                             skip_top=data["skip_top"], drop_ids_below=data["drop_ids_below"],
                             onehot=data["onehot"])


@pytest.mark.parametrize("name", [info.name for info in recipes.available()])
def test_every_shipped_recipe_is_explained(name):
    pytest.importorskip("torch")
    config = recipes.load(name, ["data.maxlen=12"])
    encoder = _encoding(config["data"])
    model = randomized(build_model(config, input_shape(config["data"]), n_classes=None,
                                   text_layer=encoder), scale=0.3)
    seen = [p.position is not None for p in encoder.word_positions(TEXT)]
    assert any(seen) and not all(seen)                      # some words are cut or unknown
    for method in METHODS:
        ours = explain(model, encoder, TEXT, method, engine="numpy")
        theirs = explain(model, encoder, TEXT, method, engine="torch")
        values = np.array(ours.attributions, float)
        np.testing.assert_allclose(values, np.array(theirs.attributions, float), atol=1e-5)
        assert np.nanmax(np.abs(values)) > 1e-4              # numbers worth comparing
        assert [a is None for a in ours.attributions] == [not s for s in seen]
        if method == "integrated-gradients":
            assert ours.complete, ours.completeness_gap
