"""Encoders and the classification report against independent computations."""

from __future__ import annotations

import numpy as np

from rnnkit.data.keras_encoding import limit_vocabulary, rank_vocabulary, shift_ids, texts_to_ranks
from rnnkit.workflow.encoders import KerasImdbEncoder, from_dict, onehot
from rnnkit.workflow.evaluation import classification_report

TEXTS = ["The film was good, really good!", "A bad, bad plot; bad actors.", "good plot"]


def test_keras_imdb_encoder_gives_keras_ids():
    index = rank_vocabulary(TEXTS)
    expected = limit_vocabulary(shift_ids(texts_to_ranks(TEXTS, index), 1, 3), 8, 0, 2)
    encoder = KerasImdbEncoder(index, num_words=8, maxlen=20)
    assert encoder.ids(TEXTS) == expected
    x = encoder.encode(TEXTS)
    assert x.shape == (3, 20) and list(x[2][-len(expected[2]):]) == expected[2]
    assert (from_dict(encoder.to_dict()).encode(TEXTS) == x).all()   # vocabulary.json round trip


def test_keras_imdb_encoder_drops_marks_and_one_hots():
    encoder = KerasImdbEncoder(rank_vocabulary(TEXTS), num_words=8, maxlen=6, skip_top=4,
                               drop_ids_below=3, onehot=True)
    x = encoder.encode(TEXTS)
    assert x.shape == (3, 6, 8) and x.dtype == np.float32
    ids = [[w for w in s if w >= 3] for s in encoder.ids(TEXTS)]
    assert all(min(s, default=4) >= 4 for s in ids)        # skip_top hid ids < 4 (→ oov, dropped)
    assert x.sum(axis=(1, 2)).tolist() == [min(len(s), 6) for s in ids]


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
