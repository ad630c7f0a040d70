"""rnnkit's Tokenizer against the legacy Keras Tokenizer (package keras-preprocessing), output for output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnkit.preprocessing.text import Tokenizer, text_to_word_sequence, tokenizer_from_json

keras_text = pytest.importorskip("keras_preprocessing.text", reason="the oracle needs keras-preprocessing")
pytestmark = pytest.mark.oracle

CORPUS = [
    "The cat sat on the mat.",
    "The dog ate my homework!!! (Really?)",
    "",
    "   ",
    "naïve café — déjà vu; Straße/STRASSE",
    "Emoji 🙂 and CJK 日本語 text, 日本語!",
    "tabs\tand\nnewlines\r\nand   many    spaces",
    "don't won't it's O'Brien's",
    "<br /><br />HTML-ish tags & entities &amp; stuff",
    "numbers 1,000 2.5 3/4 #1 @user",
    "repeat repeat repeat the the THE",
    "unicode whitespace\u00a0nbsp\u2003emspace and \u0085nel",
    "ÀÉÎÕÜ upper ÀÉÎÕÜ",
]
UNSEEN = ["the cat and a brand new word", "", "zebra zebra THE", "日本語 café"]

CONFIGS = [
    {},
    {"num_words": 5},
    {"oov_token": "<OOV>"},
    {"num_words": 6, "oov_token": "<OOV>"},
    {"num_words": 1},
    {"lower": False},
    {"char_level": True},
    {"char_level": True, "num_words": 10, "oov_token": "?"},
    {"filters": "", "split": " "},
    {"filters": "!.", "split": "e"},
    {"oov_token": "the"},  # the oov token is also a word: Keras's index-overwrite quirk
    {"oov_token": "repeat", "num_words": 3},
]


def _pair(config):
    ours, theirs = Tokenizer(**config), keras_text.Tokenizer(**config)
    ours.fit_on_texts(CORPUS)
    theirs.fit_on_texts(CORPUS)
    return ours, theirs


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: json.dumps(c, ensure_ascii=True))
def test_vocabulary_matches_keras(config):
    ours, theirs = _pair(config)
    assert list(ours.word_counts.items()) == list(theirs.word_counts.items())  # same order too
    assert dict(ours.word_docs) == dict(theirs.word_docs)
    assert ours.word_index == theirs.word_index
    assert ours.index_word == theirs.index_word
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    assert ours.document_count == theirs.document_count


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: json.dumps(c, ensure_ascii=True))
def test_conversions_match_keras(config):
    ours, theirs = _pair(config)
    for texts in (CORPUS, UNSEEN):
        assert ours.texts_to_sequences(texts) == theirs.texts_to_sequences(texts)
    seqs = theirs.texts_to_sequences(CORPUS) + [[0, 1, 2, 999, 3]]
    assert ours.sequences_to_texts(seqs) == theirs.sequences_to_texts(seqs)
    for mode in ("binary", "count", "freq", "tfidf"):
        np.testing.assert_array_equal(ours.texts_to_matrix(UNSEEN, mode=mode), theirs.texts_to_matrix(UNSEEN, mode=mode))


def test_pretokenized_lists_and_generators_match_keras():
    docs = [["Hello", "World"], ["hello", "again", "WORLD"], []]
    ours, theirs = Tokenizer(oov_token="?"), keras_text.Tokenizer(oov_token="?")
    ours.fit_on_texts(iter(docs))
    theirs.fit_on_texts(iter(docs))
    assert ours.word_index == theirs.word_index
    assert ours.texts_to_sequences(docs + [["new"]]) == theirs.texts_to_sequences(docs + [["new"]])


def test_incremental_fitting_matches_keras():
    ours, theirs = Tokenizer(num_words=8), keras_text.Tokenizer(num_words=8)
    for chunk in (CORPUS[:4], CORPUS[4:9], CORPUS[9:]):
        ours.fit_on_texts(chunk)
        theirs.fit_on_texts(chunk)
    assert ours.word_index == theirs.word_index
    assert ours.texts_to_sequences(CORPUS) == theirs.texts_to_sequences(CORPUS)


@pytest.mark.parametrize("text", CORPUS)
def test_text_to_word_sequence_matches_keras(text):
    assert text_to_word_sequence(text) == keras_text.text_to_word_sequence(text)
    assert text_to_word_sequence(text, filters="", lower=False, split="a") == keras_text.text_to_word_sequence(
        text, filters="", lower=False, split="a"
    )


@pytest.mark.parametrize("config", [{}, {"num_words": 6, "oov_token": "<OOV>"}, {"char_level": True}])
def test_json_round_trips_both_ways(config):
    ours, theirs = _pair(config)
    # Keras's JSON read by rnnkit, and rnnkit's JSON read by Keras, behave like the originals.
    from_keras = tokenizer_from_json(theirs.to_json())
    from_ours = keras_text.tokenizer_from_json(ours.to_json())
    expected = theirs.texts_to_sequences(CORPUS + UNSEEN)
    assert from_keras.texts_to_sequences(CORPUS + UNSEEN) == expected
    assert from_ours.texts_to_sequences(CORPUS + UNSEEN) == expected
    assert from_keras.word_index == ours.word_index and from_keras.index_word == ours.index_word
    assert from_keras.document_count == ours.document_count
    # A restored tokenizer keeps learning exactly like Keras's.
    from_keras.fit_on_texts(UNSEEN)
    theirs.fit_on_texts(UNSEEN)
    assert from_keras.word_index == theirs.word_index


def test_to_json_is_reproducible():
    a, b = Tokenizer(), Tokenizer()
    a.fit_on_texts(CORPUS)
    b.fit_on_texts(CORPUS)
    assert a.to_json() == b.to_json()


def test_empty_text_gives_empty_sequence():
    tok = Tokenizer()
    tok.fit_on_texts(["some words"])
    assert tok.texts_to_sequences(["", "   ", "!!!"]) == [[], [], []]


def test_unfitted_tokenizer_with_oov_is_a_clear_error():
    # Keras would emit [None, None]; a sequence of Nones would only fail later, inside training.
    with pytest.raises(ValueError, match="fit_on_texts"):
        Tokenizer(oov_token="<OOV>").texts_to_sequences(["a b"])


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError, match="nub_words"):
        Tokenizer(nub_words=3)
