"""Every token of the text comes back, in order: words the model never saw (outside the
vocabulary, cut by maxlen) with attribution None and their status; JSON, the terminal and the
HTML page show them all, and the page escapes what it shows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rich.console import Console

import rnnkit
from rnnkit import layers as L
from rnnkit.insight import METHODS, ExplainError, ModelInput, explain
from rnnkit.insight.attribution_views import html_page, print_explanation
from rnnkit.layers import KerasImdbEncoding, TokenizerEncoding

from ._models import randomized

WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
TEXT = "One two three four zzz five six seven"
#: maxlen 6 keeps the last six ids (two … seven); "zzz" is outside the vocabulary and dropped
EXPECTED = [("one", "cut", None), ("two", "known", 0), ("three", "known", 1),
            ("four", "known", 2), ("zzz", "unknown", None), ("five", "known", 3),
            ("six", "known", 4), ("seven", "known", 5)]


def _model(maxlen=6, input_dim=11, body=None):
    body = body or [L.GRU(4), L.Dense(1, activation="sigmoid")]
    return randomized(rnnkit.Sequential([L.Input(shape=(maxlen,)),
                                         L.Embedding(input_dim, 4), *body]))


@pytest.fixture
def encoder():
    return TokenizerEncoding.fit([" ".join(WORDS)], num_words=100, maxlen=6)


@pytest.mark.parametrize("method", METHODS)
def test_unknown_and_cut_words_are_kept_and_marked(encoder, method):
    e = explain(_model(), encoder, TEXT, method=method)
    assert list(zip(e.tokens, e.statuses, e.positions)) == [t[:3] for t in EXPECTED]
    for (_, _, position), a in zip(EXPECTED, e.attributions):
        assert (a is None) == (position is None)
        assert a is None or isinstance(a, float)
    words = ModelInput.of(_model()).words_of_row(encoder.encode([TEXT]))[0]
    assert np.flatnonzero(words).tolist() == [p for _, _, p in EXPECTED if p is not None]
    assert e.total == pytest.approx(sum(a for a in e.attributions if a is not None))


def test_json_holds_every_token_with_the_prediction(encoder):
    e = explain(_model(), encoder, TEXT, class_names=("Negative", "Positive"))
    record = json.loads(json.dumps(e.as_json()))
    assert [t["token"] for t in record["tokens"]] == [t[0] for t in EXPECTED]
    assert [t["attribution"] is None for t in record["tokens"]] == \
        [t[2] is None for t in EXPECTED]
    assert record["label"] in ("Negative", "Positive") and record["method"] == METHODS[0]
    assert record["steps"] == e.steps and record["text"] == TEXT
    assert record["baseline_probability"] == e.baseline_probability


def test_a_text_without_known_words_has_nothing_to_attribute(encoder):
    """Said, not returned as an all-None explanation that looks like an answer."""
    with pytest.raises(ExplainError, match="no word of the text reached the model"):
        explain(_model(), encoder, "zzz qqq")
    with pytest.raises(ExplainError, match="no word of the text reached the model"):
        explain(_model(), encoder, "!!!")


def test_an_out_of_vocabulary_id_is_an_input_and_gets_an_attribution():
    """Keras IMDB ids keep unknown words as the oov mark (id 2): the model reads it, so it has
    a position and an attribution; the start mark (id 1) belongs to no word and stays in the
    baseline, so the words' attributions still add up."""
    encoder = KerasImdbEncoding({w: i for i, w in enumerate(WORDS, start=1)}, num_words=14,
                                maxlen=8)
    model = _model(maxlen=8, input_dim=14)
    e = explain(model, encoder, "two zzz three")
    assert list(zip(e.tokens, e.statuses, e.positions)) == [
        ("two", "known", 5), ("zzz", "unknown", 6), ("three", "known", 7)]
    assert all(isinstance(a, float) for a in e.attributions)
    assert e.total == pytest.approx(e.probability - e.baseline_probability, rel=0.01)


def test_html_page_shows_every_token_and_escapes_markup():
    encoder = TokenizerEncoding.fit(["<script>alert(1)</script> & <b>bold</b>"], num_words=10,
                                    maxlen=6, filters="")
    text = "<script>alert(1)</script> & <b>bold</b> \"quoted\""
    page = html_page(explain(_model(input_dim=10), encoder, text))
    assert "<script" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&amp;" in page
    assert "&quot;quoted&quot;" in page                   # unknown, still shown
    assert "http" not in page and "<link" not in page      # nothing fetched


def test_terminal_shows_every_token_and_what_the_model_did_not_see(encoder):
    console = Console(record=True, width=200, color_system=None)
    print_explanation(explain(_model(), encoder, TEXT), console)
    out = console.export_text()
    assert " ".join(t[0] for t in EXPECTED) in out
    assert "1 word(s) outside the vocabulary (zzz)" in out and "first 1 word(s) cut" in out
    assert "baseline" in out


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "saliency"}, "unknown method"),
    ({"method": "occlusion", "steps": 10}, "integrated-gradients only"),
    ({"steps": 0}, "positive whole number"),
    ({"target": 2}, "not a class id"),
    ({"engine": "jax"}, "engine 'jax'"),
])
def test_mistakes_are_one_line_errors(encoder, kwargs, message):
    with pytest.raises(ExplainError, match=message) as info:
        explain(_model(), encoder, TEXT, **kwargs)
    assert "\n" not in str(info.value)


def test_a_model_without_word_vectors_is_refused(encoder):
    model = rnnkit.Sequential([L.Input(shape=(6,)), L.Dense(1, activation="sigmoid")])
    with pytest.raises(ExplainError, match="Embedding"):
        explain(model, encoder, TEXT)


def test_explaining_writes_nothing_on_the_model(encoder):
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    for method in METHODS:
        explain(model, encoder, TEXT, method=method)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
