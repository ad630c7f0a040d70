"""vocabulary.json holds only the words encoding can use, each once — and encodes exactly as the
fitted tokenizer did; files written before (the whole Keras tokenizer JSON) still read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnkit.data.text import Tokenizer, tokenizer_from_json
from rnnkit.datasets import movie_reviews
from rnnkit.workflow.encoders import TokenizerEncoder, from_dict


@pytest.fixture(scope="module")
def reviews():
    texts = list(movie_reviews.load_reviews().texts)
    return texts[:3000], texts[3000:4000]       # fit on one part, encode it and unseen texts


def _saved_and_read(encoder):
    """Through vocabulary.json's own text (runs.atomic_write_json writes it so)."""
    text = json.dumps(encoder.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return from_dict(json.loads(text)), text


@pytest.mark.parametrize("num_words", [2000, 50000])      # fewer words than seen, and more
def test_a_read_back_encoder_encodes_the_reviews_byte_for_byte(reviews, num_words):
    fit_texts, unseen = reviews
    encoder = TokenizerEncoder.fit(fit_texts, num_words=num_words, maxlen=120)
    again, text = _saved_and_read(encoder)
    for texts in (fit_texts, unseen):
        expected = encoder.encode(texts)
        got = again.encode(texts)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()
    saved = json.loads(json.loads(text)["tokenizer"]["config"]["word_index"])
    seen = len(encoder.tokenizer.word_index)
    assert len(saved) == min(num_words - 1, seen)            # ids 1 … num_words − 1 only
    assert list(saved.values()) == list(range(1, len(saved) + 1))
    for unused in ("word_counts", "word_docs", "index_docs", "index_word"):
        assert json.loads(json.loads(text)["tokenizer"]["config"][unused]) == {}


def test_the_saved_vocabulary_is_a_small_fraction_of_the_whole_tokenizer(reviews):
    encoder = TokenizerEncoder.fit(reviews[0], num_words=2000, maxlen=120)
    old = json.dumps({"kind": "tokenizer", "maxlen": 120,
                      "tokenizer": json.loads(encoder.tokenizer.to_json())}, indent=2)
    _, new = _saved_and_read(encoder)
    assert len(new.encode()) * 8 < len(old.encode()), (len(new), len(old))


def test_a_vocabulary_json_of_the_previous_format_still_reads(reviews):
    """Runs saved before held ``Tokenizer.to_json()`` whole: every word, all five dictionaries."""
    fit_texts, unseen = reviews
    encoder = TokenizerEncoder.fit(fit_texts, num_words=2000, maxlen=120)
    old = json.loads(json.dumps({"kind": "tokenizer", "maxlen": 120,
                                 "tokenizer": json.loads(encoder.tokenizer.to_json())}, indent=2))
    assert len(json.loads(old["tokenizer"]["config"]["word_index"])) > 2000     # really the old one
    again = from_dict(old)
    assert again.encode(unseen).tobytes() == encoder.encode(unseen).tobytes()


CORPUS = ["The cat sat on the mat.", "The dog ate my homework!!! <OOV> (Really?)",
          "naïve café — déjà vu; Straße/STRASSE", "Emoji 🙂 and CJK 日本語 text, 日本語!",
          "repeat repeat repeat the the THE", "rare words: zymurgy aardvark quokka", "",
          "<oov> <OOV> oov"]
UNSEEN = CORPUS + ["the cat and a brand new word", "zebra zebra THE", "日本語 café", "<OOV>"]


@pytest.mark.parametrize("config", [
    {}, {"num_words": 5}, {"num_words": 0}, {"num_words": 1}, {"num_words": 100},
    {"oov_token": "<OOV>"}, {"num_words": 6, "oov_token": "<OOV>"},
    # an oov token that also occurs in the texts takes its frequency rank (Keras's quirk) — here
    # one beyond num_words, which must still be kept
    {"num_words": 4, "oov_token": "oov", "filters": ""},
    {"num_words": 3, "oov_token": "the"},
    {"lower": False, "num_words": 8}, {"char_level": True, "num_words": 10, "oov_token": "?"},
])
def test_encoding_only_converts_exactly_like_the_fitted_tokenizer(config):
    full = Tokenizer(**config)
    full.fit_on_texts(CORPUS)
    for tokenizer in (full.encoding_only(), tokenizer_from_json(full.encoding_only().to_json(compact=True))):
        sequences = full.texts_to_sequences(UNSEEN)
        assert tokenizer.texts_to_sequences(UNSEEN) == sequences
        assert tokenizer.sequences_to_texts(sequences) == full.sequences_to_texts(sequences)
        for mode in ("binary", "count", "freq"):
            np.testing.assert_array_equal(tokenizer.texts_to_matrix(UNSEEN, mode=mode),
                                          full.texts_to_matrix(UNSEEN, mode=mode))
    if config.get("num_words"):
        assert len(full.encoding_only().word_index) <= config["num_words"]


def test_keras_reads_the_compact_tokenizer_json():
    keras_text = pytest.importorskip("keras_preprocessing.text", reason="needs keras-preprocessing")
    ours = Tokenizer(num_words=6, oov_token="<OOV>")
    ours.fit_on_texts(CORPUS)
    theirs = keras_text.tokenizer_from_json(ours.encoding_only().to_json(compact=True))
    assert theirs.texts_to_sequences(UNSEEN) == ours.texts_to_sequences(UNSEEN)


@pytest.mark.oracle   # Keras's own Tokenizer and pad_sequences are the second witness
def test_the_model_file_encodes_all_25000_reviews_as_training_did(tmp_path):
    """The main job's encoding (Tokenizer(20000), maxlen 300, fitted on 20,000 reviews) inside
    a saved model file gives the ids training used, for every one of the 25,000 reviews."""
    from keras.utils import pad_sequences as keras_pad
    from keras_preprocessing.text import Tokenizer as KerasTokenizer

    from rnnkit import layers
    from rnnkit.models import load_model
    from rnnkit.model import Sequential

    texts = list(movie_reviews.load_reviews().texts)
    assert len(texts) == 25000
    encoder = TokenizerEncoder.fit(texts[:20000], num_words=20000, maxlen=300)
    training_ids = encoder.encode(texts)
    model = Sequential([layers.Input(shape=(), dtype="string"), encoder,
                        layers.Embedding(20000, 2), layers.SimpleRNN(1),
                        layers.Dense(1, activation="sigmoid")])
    model.save(tmp_path / "model.keras")
    from_file = load_model(tmp_path / "model.keras").preprocessing_layers[0]
    assert from_file.forward(np.array(texts)).tobytes() == training_ids.tobytes()
    keras_tokenizer = KerasTokenizer(num_words=20000)
    keras_tokenizer.fit_on_texts(texts[:20000])
    keras_ids = keras_pad(keras_tokenizer.texts_to_sequences(texts), maxlen=300)
    np.testing.assert_array_equal(training_ids, keras_ids)
