"""Occlusion and gradient × input against values made another way: the text re-encoded
without the word and ``model.predict``; a linear model, whose gradient × input adds up
exactly."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit import layers as L
from rnnkit.insight import explain
from rnnkit.workflow.evaluation import class_probabilities

from ._models import (
    BODIES,
    VOCAB,
    baseline_row,
    model_of,
    tokenizer_encoding,
    with_zero_row,
)


def _texts(encoder) -> list[str]:
    """Three texts of words the encoding knows, none cut by maxlen 9."""
    known = [w for w in VOCAB if encoder.tokenizer.word_index[w] < 20]
    return [" ".join(known[i:i + n]) for i, n in ((0, 4), (3, 8), (9, 1))]


@pytest.mark.parametrize("mask_zero", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("name", ["LSTM", "Bidirectional", "stacked"])
def test_occlusion_is_the_drop_when_the_word_is_removed_from_the_text(name, mask_zero):
    model, encoder = model_of(BODIES[name](), mask_zero=mask_zero), tokenizer_encoding()
    for text in _texts(encoder):
        words = text.split()
        shorter = [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
        p = class_probabilities(model.predict(encoder.encode([text] + shorter), verbose=0))
        e = explain(model, encoder, text, method="occlusion")
        np.testing.assert_allclose(e.attributions, p[0, e.target] - p[1:, e.target], atol=1e-6)


def test_gradient_x_input_adds_up_exactly_on_a_linear_model():
    """f = w·h_T + b with a linear SimpleRNN is linear in the vectors, so Σ ∂f/∂v_t · v_t is
    f(v) − f(baseline) exactly, and integrated gradients equal gradient × input at any steps."""
    model = with_zero_row([L.SimpleRNN(4, activation="linear"), L.Dense(1)], scale=0.5)
    encoder = tokenizer_encoding()
    for text in _texts(encoder):
        row = encoder.encode([text])
        f_x, f_base = (model.predict(r, verbose=0)[0, 0] for r in (row, baseline_row(row)))
        gxi = explain(model, encoder, text, method="gradient-x-input", target=1)
        assert gxi.probability == pytest.approx(f_x, abs=1e-6)
        assert gxi.baseline_probability == pytest.approx(f_base, abs=1e-6)
        assert gxi.total == pytest.approx(f_x - f_base, abs=1e-5)
        assert abs(f_x - f_base) > 0.01
        ig = explain(model, encoder, text, target=1, steps=1)
        np.testing.assert_allclose(gxi.attributions, ig.attributions, atol=1e-5)
