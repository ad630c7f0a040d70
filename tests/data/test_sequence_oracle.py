"""pad_sequences and to_categorical against Keras 3 (torch backend)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import rnnkit
from rnnkit.preprocessing.sequence import pad_sequences
from rnnkit.utils import to_categorical

keras = pytest.importorskip("keras", reason="the oracle is Keras 3")
pytestmark = pytest.mark.oracle

RAGGED = [[1], [2, 3], [], [4, 5, 6, 7, 8], [9, 10, 11]]


@pytest.mark.parametrize(
    "maxlen,padding,truncating",
    list(itertools.product([None, 1, 3, 5, 8], ["pre", "post"], ["pre", "post"])),
)
def test_pad_sequences_matches_keras_in_every_mode(maxlen, padding, truncating):
    for dtype, value in (("int32", 0), ("int64", -1), ("float32", 0.5), ("float64", 0.0)):
        kw = dict(maxlen=maxlen, padding=padding, truncating=truncating, dtype=dtype, value=value)
        ours, theirs = pad_sequences(RAGGED, **kw), keras.utils.pad_sequences(RAGGED, **kw)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_matches_keras_on_other_inputs():
    cases = [
        ([np.array([1, 2]), np.array([3])], {}),
        ([[1.7, 2.2], [3.9]], {"dtype": "int32"}),  # floats cast like Keras (truncation)
        ([[[1, 2], [3, 4]], [[5, 6]]], {"maxlen": 3}),  # steps that are vectors
        ([["a", "b"], ["c"]], {"dtype": object, "value": "<pad>"}),
        ([["a", "b"], ["c"]], {"dtype": "<U5", "value": "-"}),
        ([[], []], {"maxlen": 2}),
        ([[300, 20000]], {"dtype": "int16"}),
    ]
    for seqs, kw in cases:
        try:
            theirs = keras.utils.pad_sequences(seqs, **kw)
        except Exception as exc:  # pragma: no cover - keep the case list honest
            pytest.fail(f"oracle rejected {seqs!r} {kw}: {exc}")
        ours = pad_sequences(seqs, **kw)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_refuses_ids_the_dtype_cannot_hold():
    # Like Keras on NumPy 2: an error, never a silently wrapped word id.
    for pad in (pad_sequences, keras.utils.pad_sequences):
        with pytest.raises(OverflowError):
            pad([[300, 70000]], dtype="int16")


def test_pad_sequences_is_exported_keras_style():
    assert rnnkit.utils.pad_sequences is pad_sequences


def test_pad_sequences_errors_are_clear():
    with pytest.raises(ValueError, match="padding"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], truncating="both")
    with pytest.raises(ValueError, match="non-sequence"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
    with pytest.raises(ValueError, match="maxlen"):
        pad_sequences([[1]], maxlen=-1)


def test_pad_sequences_edge_cases_keras_crashes_on():
    # Keras raises on maxlen=0 with 'pre' truncation and on an empty list; both are well defined.
    assert pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)


@pytest.mark.parametrize(
    "labels,num_classes",
    [
        ([0, 1, 2, 1], None),
        ([0, 1, 2, 1], 5),
        (np.array([[1], [0], [3]]), None),  # (n, 1) column
        (np.array([[0, 2], [1, 1]]), None),  # any shape: class axis appended
        (np.array([1.0, 2.9]), None),  # floats truncated like Keras
        ([3], None),
    ],
)
def test_to_categorical_matches_keras(labels, num_classes):
    ours, theirs = to_categorical(labels, num_classes), keras.utils.to_categorical(labels, num_classes)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_rejects_ids_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="class ids"):
        to_categorical([-1, 1])  # Keras would silently put this one in the last column
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([])
    assert to_categorical([], num_classes=2).shape == (0, 2)
