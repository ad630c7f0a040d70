"""Integrated gradients add up: Σ attributions ≈ f_c(text) − f_c(baseline) within 1% at the
default steps, where both probabilities come from ``model.predict`` — the baseline made by
looking up an extra, all-zero embedding row at every word — not from the code under test."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit import layers as L
from rnnkit.insight import attributions, explain
from rnnkit.insight.attribution_views import completeness_warning
from rnnkit.workflow.evaluation import class_probabilities

from ._models import (
    BODIES,
    MAXLEN,
    baseline_row,
    model_of,
    onehot_encoding,
    tokenizer_encoding,
    with_zero_row,
)

TEXTS = ["w1 w2 w3 w4", "w5 w2 w9 w9 w11 w3 w7 w8 w1 w2 w4 w6", "w3 w27 w8 w1 w28 w5",
         "w12 w12 w12 w13 w19"]


def _probabilities(model, x) -> np.ndarray:
    return class_probabilities(model.predict(x, verbose=0))[0]


def _gap(model, encoder, text, target, steps=None):
    """(|Σ a − (f(x) − f(x'))| / |f(x) − f(x')|, f(x) − f(x')) with f from model.predict."""
    row = encoder.encode([text])
    baseline = baseline_row(row)                          # every word → the zero vector
    f_x, f_base = _probabilities(model, row)[target], _probabilities(model, baseline)[target]
    e = explain(model, encoder, text, target=target, steps=steps)
    assert e.probability == pytest.approx(f_x, abs=1e-6)
    assert e.baseline_probability == pytest.approx(f_base, abs=1e-6)
    change = f_x - f_base
    return abs(e.total - change) / abs(change), change


@pytest.mark.parametrize("mask_zero", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("name", BODIES)
def test_completeness_within_one_percent(name, mask_zero):
    model, encoder = with_zero_row(BODIES[name](), mask_zero), tokenizer_encoding()
    classes = 2 if model.layers[-1].units == 1 else model.layers[-1].units
    tested = 0
    for text in TEXTS:
        for target in range(classes):          # class 0 of a sigmoid unit is 1 − p
            relative, change = _gap(model, encoder, text, target)
            if abs(change) > 1e-3:             # 1% of less is float32 rounding
                assert relative < 0.01, (text, target, relative)
                tested += 1
    assert tested >= len(TEXTS) * classes // 2


def test_completeness_on_onehot_rows():
    """One-hot rows: the baseline is a zero row at each word, i.e. all padding."""
    model = model_of([L.SimpleRNN(6), L.Dense(1, activation="sigmoid")], input_dim=None,
                     features=20)
    encoder = onehot_encoding()
    empty = np.zeros((1, MAXLEN, 20), "float32")
    for text in TEXTS:
        row = encoder.encode([text])
        change = _probabilities(model, row)[1] - _probabilities(model, empty)[1]
        e = explain(model, encoder, text, target=1)
        assert abs(change) > 1e-3
        assert abs(e.total - change) < 0.01 * abs(change)


def test_the_trapezoid_rule_converges_as_one_over_steps_squared():
    """In float64 the completeness error falls 4× per doubling of the steps (trapezoid, O(1/m²));
    a rule that drops or misweighs an end point is O(1/m) and falls only 2×."""
    body = [L.GRU(5, dtype="float64"), L.Dense(1, activation="sigmoid", dtype="float64")]
    model, encoder = with_zero_row(body, dtype="float64"), tokenizer_encoding()
    text = TEXTS[1]
    errors = [_gap(model, encoder, text, 1, steps)[0] for steps in (8, 16, 32)]
    assert errors[1] / errors[0] < 0.35 and errors[2] / errors[1] < 0.35, errors


def test_steps_double_until_complete_and_equal_the_fixed_rule(monkeypatch):
    """From 1 interval the default doubles the steps (new midpoints, old sums kept) until the
    attributions add up; the result is the plain trapezoid rule at the final count."""
    model, encoder = with_zero_row(BODIES["GRU-reset-before"]()), tokenizer_encoding()
    monkeypatch.setattr(attributions, "DEFAULT_STEPS", 1)
    text = TEXTS[3]
    refined = explain(model, encoder, text)
    assert refined.steps >= 8 and refined.steps & (refined.steps - 1) == 0     # a power of 2
    assert refined.complete and completeness_warning(refined) is None
    fixed = explain(model, encoder, text, steps=refined.steps)
    assert fixed.steps == refined.steps
    np.testing.assert_allclose(np.array(refined.attributions, float),
                               np.array(fixed.attributions, float), atol=1e-6)
    coarser = explain(model, encoder, text, steps=refined.steps // 2)
    assert not coarser.complete                       # it stopped at the first count that adds up


def test_the_step_cap_is_reported_when_it_is_not_enough(monkeypatch):
    model, encoder = with_zero_row(BODIES["SimpleRNN"]()), tokenizer_encoding()
    monkeypatch.setattr(attributions, "DEFAULT_STEPS", 1)
    monkeypatch.setattr(attributions, "MAX_STEPS", 2)
    e = explain(model, encoder, TEXTS[0])
    assert e.steps == 2 and not e.complete
    assert "after 2 steps: more steps (--steps 4)" in completeness_warning(e)
