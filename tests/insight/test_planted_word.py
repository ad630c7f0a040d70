"""Done-means #1: when one planted word decides the label, that word gets the largest
attribution — in ≥ 95% of held-out texts, for SimpleRNN, LSTM and GRU.

The training data also holds filler-only texts labelled 0.5 (no marker, no evidence), so the
task has a neutral point and the zero-vector baseline is near it. Without them a model is free to
map the baseline to p ≈ 0.999 for one class; a text of that class then has almost nothing to
attribute (p − p_baseline ≈ 1e-4), and the top word is noise (docs/insight.md)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.insight import METHODS, explain
from rnnkit.workflow.evaluation import class_probabilities

from ._planted import CELLS, planted_texts, trained

#: (mask_zero, seed) per cell: both ways of padding are covered
SETTINGS = {"SimpleRNN": (False, 0), "LSTM": (True, 0), "GRU": (False, 0)}


@pytest.mark.parametrize("cell", CELLS)
def test_the_planted_word_gets_the_largest_attribution(cell):
    mask_zero, seed = SETTINGS[cell]
    model, encoder = trained(cell, epochs=4, mask_zero=mask_zero, seed=seed, neutral=400)
    texts, labels, where = planted_texts(300, seed=99)
    predicted = class_probabilities(model.predict(encoder.encode(texts), verbose=0)).argmax(1)
    assert np.mean(predicted == labels) > 0.98              # it learned the task
    rates = {}
    for method in METHODS:
        hits = [int(np.argmax(explain(model, encoder, text, method).attributions) == at)
                for text, at in zip(texts, where)]
        rates[method] = float(np.mean(hits))
    print(f"planted word on top, {cell}: "                 # pytest -s shows the rates
          + ", ".join(f"{m} {r:.1%}" for m, r in rates.items()))
    assert rates["integrated-gradients"] >= 0.95, rates
    assert rates["occlusion"] >= 0.95, rates
