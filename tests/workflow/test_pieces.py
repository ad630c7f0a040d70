"""Encoders and the classification report against independent computations.

The expected ids are written out by hand for a tiny vocabulary (and the vocabulary itself is
checked against keras-preprocessing's Tokenizer), never rebuilt with rnnkit's own helpers.
"""

from __future__ import annotations

import numpy as np

from rnnkit.layers import TextVectorization
import pytest

from rnnkit.data.keras_encoding import rank_vocabulary
from rnnkit.workflow.encoders import KerasImdbEncoder, TokenizerEncoder, from_dict, onehot
from rnnkit.workflow.evaluation import classification_report

TEXTS = ["The film was good, really good!", "A bad, bad plot; bad actors.", "good plot"]
# Keras ranks: by count (good 3, bad 3, plot 2, the rest 1), ties in order of first appearance.
RANKS = {"good": 1, "bad": 2, "plot": 3, "the": 4, "film": 5, "was": 6, "really": 7, "a": 8,
         "actors": 9}
# keras.datasets.imdb ids with num_words=8: start 1, rank + 3, oov 2 for every id ≥ 8.
#          start the film was good really good
IMDB_IDS = [[1, 7, 2, 2, 4, 2, 4],
            # start a bad bad plot bad actors
            [1, 2, 5, 5, 6, 5, 2],
            # start good plot
            [1, 4, 6]]


@pytest.mark.oracle
def test_tiny_vocabulary_ranks_like_keras_preprocessing():
    keras_text = pytest.importorskip("keras_preprocessing.text")
    tokenizer = keras_text.Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    assert dict(tokenizer.word_index) == RANKS
    assert rank_vocabulary(TEXTS) == RANKS


def test_keras_imdb_encoder_gives_keras_ids():
    encoder = KerasImdbEncoder(RANKS, num_words=8, maxlen=20)
    assert encoder.ids(TEXTS) == IMDB_IDS
    x = encoder.encode(TEXTS)
    assert x.shape == (3, 20)
    assert x.tolist() == [[0] * 13 + IMDB_IDS[0], [0] * 13 + IMDB_IDS[1], [0] * 17 + IMDB_IDS[2]]
    assert encoder.ids(["The GOOD, the unseen."]) == [[1, 7, 4, 7, 2]]   # unknown word → oov
    assert (from_dict(encoder.to_dict()).encode(TEXTS) == x).all()   # vocabulary.json round trip


def test_keras_imdb_encoder_drops_marks_and_one_hots():
    encoder = KerasImdbEncoder(RANKS, num_words=8, maxlen=6, skip_top=4, drop_ids_below=3,
                               onehot=True)
    # skip_top=4 turns ids below 4 (start mark included) into oov 2; drop_ids_below=3 then
    # removes the marks: the film was good really good → 7 4 4; a bad bad plot bad actors →
    # 5 5 6 5; good plot → 4 6.
    assert encoder.ids(TEXTS) == [[7, 4, 4], [5, 5, 6, 5], [4, 6]]
    padded = [[0, 0, 0, 7, 4, 4], [0, 0, 5, 5, 6, 5], [0, 0, 0, 0, 4, 6]]
    expected = np.zeros((3, 6, 8), dtype=np.float32)
    for n, row in enumerate(padded):
        for t, word in enumerate(row):
            if word:
                expected[n, t, word] = 1.0
    x = encoder.encode(TEXTS)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, expected)


# Tokenizer(num_words=5) keeps ids 1–4 (good bad plot the) and drops the others; maxlen=4
# pre-pads and pre-truncates.
TOKENIZER_X = [[0, 4, 1, 1], [2, 2, 3, 2], [0, 0, 1, 3]]


def test_tokenizer_encoder_by_hand():
    encoder = TokenizerEncoder.fit(TEXTS, num_words=5, maxlen=4)
    x = encoder.encode(TEXTS)
    assert x.tolist() == TOKENIZER_X
    assert encoder.encode(["bad the plot good film good"]).tolist() == [[4, 3, 1, 1]]
    assert (from_dict(encoder.to_dict()).encode(TEXTS) == x).all()


@pytest.mark.oracle
def test_tokenizer_encoder_equals_keras_preprocessing():
    keras_text = pytest.importorskip("keras_preprocessing.text")
    keras = pytest.importorskip("keras")     # keras-preprocessing's pad_sequences predates NumPy 2
    texts = TEXTS + ["bad the plot good film good", "an unseen text", "the the the the the good"]
    tokenizer = keras_text.Tokenizer(num_words=5)
    tokenizer.fit_on_texts(TEXTS)
    expected = keras.utils.pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=4)
    assert expected[:3].tolist() == TOKENIZER_X
    x = TokenizerEncoder.fit(TEXTS, num_words=5, maxlen=4).encode(texts)
    np.testing.assert_array_equal(x, expected)


def test_onehot_padding_is_zero():
    x = onehot(np.array([[0, 2, 1]]), 3)
    assert x.tolist() == [[[0, 0, 0], [0, 0, 1], [0, 1, 0]]]


def test_classification_report_by_hand():
    y = np.array([0, 0, 1, 1, 2, 2])
    outputs = np.eye(3)[[0, 1, 1, 1, 2, 0]]
    report = classification_report(y, outputs, ["a", "b", "c"])
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert report["accuracy"] == 4 / 6
    assert report["per_class"]["b"] == {"precision": 2 / 3, "recall": 1.0, "f1": 0.8,
                                        "support": 2}
    binary = classification_report(np.array([0, 1, 1]), np.array([[0.2], [0.7], [0.4]]),
                                   ["neg", "pos"])
    assert binary["confusion_matrix"] == [[1, 0], [1, 1]]


@pytest.mark.parametrize("make", [
    lambda: TokenizerEncoder.fit(TEXTS, num_words=5, maxlen=4),
    lambda: TokenizerEncoder.fit(TEXTS, num_words=50, maxlen=30),
    lambda: KerasImdbEncoder(RANKS, num_words=8, maxlen=6),
    lambda: KerasImdbEncoder(RANKS, num_words=8, maxlen=20, skip_top=4, drop_ids_below=3),
    lambda: _adapted(TextVectorization(max_tokens=6, output_sequence_length=5)),
])
def test_word_positions_point_at_each_words_id_in_the_encoded_row(make):
    """Every placed word's id is at its position; the rest of the row is padding or the start
    mark; cut words are exactly those before the kept ones."""
    encoder = make()
    rng = np.random.default_rng(1)
    vocabulary = ["good", "bad", "film", "the", "plot", "zzz", "qqq", "a"]
    for _ in range(50):
        text = " ".join(rng.choice(vocabulary, rng.integers(0, 12)))
        (row,) = encoder.encode([text])
        words = encoder.word_positions(text)
        placed = {w.position: w.id for w in words if w.position is not None}
        for position, id_ in placed.items():
            assert row[position] == id_
        others = [row[i] for i in range(len(row)) if i not in placed]
        assert all(v in (0, getattr(encoder, "start_char", 0)) for v in others), (text, row)
        assert sum(w.position is not None for w in words) + len(others) == len(row)
        cut = "".join("c" if w.status == "cut" else "k" for w in words if w.id is not None)
        assert "c" not in cut.strip("c")     # one block of cut words, at the start or the end
        assert len(words) == len(text.split())


def _adapted(layer):
    layer.adapt(TEXTS)
    return layer
