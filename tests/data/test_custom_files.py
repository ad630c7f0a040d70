"""Your own CSV/TSV/JSONL files: formats, label mapping, and every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnkit.data import DataFormatError, encode_labels
from rnnkit.datasets import custom


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_csv_with_string_labels_and_quoted_multiline_text(tmp_path):
    f = write(tmp_path / "d.csv", 'text,label\n"good, very good",pos\n"bad\nreally bad",neg\nfine,pos\n')
    data = custom.read_labelled_file(f)
    assert data.texts == ["good, very good", "bad\nreally bad", "fine"]
    assert data.class_names == ("neg", "pos") and data.labels.tolist() == [1, 0, 1]
    assert data.ids == ("d.csv:2", "d.csv:3", "d.csv:5")  # the line each record starts on


def test_tsv_with_integer_labels_in_numeric_order_and_other_column_names(tmp_path):
    f = write(tmp_path / "d.tsv", "id\tbody\tstars\n1\tok\t10\n2\tmeh\t2\n3\tgreat\t9\n4\tbad\t2\n")
    data = custom.read_labelled_file(f, text_column="body", label_column="stars")
    assert data.class_names == ("2", "9", "10") and data.labels.tolist() == [2, 0, 1, 0]


def test_jsonl_multiclass_with_int_and_string_labels_and_declared_classes(tmp_path):
    rows = [{"text": "a", "label": 1}, {"text": "b", "label": "0"}, {"text": "c", "label": 2}, {"text": "d", "label": True}]
    f = write(tmp_path / "d.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    data = custom.read_labelled_file(f)
    assert data.class_names == ("0", "1", "2") and data.labels.tolist() == [1, 0, 2, 1]
    declared = custom.read_labelled_file(f, classes=[2, 1, 0, 3])
    assert declared.class_names == ("2", "1", "0", "3") and declared.labels.tolist() == [1, 2, 0, 1]


def test_a_byte_order_mark_is_tolerated(tmp_path):
    f = write(tmp_path / "d.csv", "\ufefftext,label\nx,a\ny,b\n")
    assert custom.read_labelled_file(f).texts == ["x", "y"]


def test_two_files_share_the_training_classes_and_one_file_is_split(tmp_path):
    train = write(tmp_path / "train.csv", "text,label\n" + "".join(f"t{i},{'ab'[i % 2]}\n" for i in range(10)))
    test = write(tmp_path / "test.csv", "text,label\nu,b\n")
    ds = custom.load_data(train, test)
    assert ds.class_names == ("a", "b") and ds.test.labels.tolist() == [1]
    split = custom.load_data(train, test_split=0.2, seed=0)
    assert split.train.class_counts() == {"a": 4, "b": 4} and split.test.class_counts() == {"a": 1, "b": 1}
    unknown = write(tmp_path / "test2.csv", "text,label\nu,c\n")
    with pytest.raises(ValueError, match=r"\['c'\] are not among the classes \['a', 'b'\]"):
        custom.load_data(train, unknown)


def test_missing_columns_are_named_with_the_fix(tmp_path):
    f = write(tmp_path / "d.csv", "review,sentiment\nx,1\n")
    with pytest.raises(DataFormatError) as info:
        custom.read_labelled_file(f)
    message = str(info.value)
    assert "\n" not in message and "no column 'text'" in message and "['review', 'sentiment']" in message
    assert "text_column=" in message
    with pytest.raises(DataFormatError, match="no column 'label'.*label_column="):
        custom.read_labelled_file(f, text_column="review")
    j = write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n')
    with pytest.raises(DataFormatError, match=r"line 2, has no column 'label'"):
        custom.read_labelled_file(j)


def test_an_empty_text_is_an_error_unless_told_to_drop_or_keep(tmp_path):
    f = write(tmp_path / "d.csv", "text,label\nfine,a\n   ,b\nok,b\n,a\n")
    with pytest.raises(DataFormatError, match=r"d\.csv, line 3: the text is empty.*empty='drop'"):
        custom.read_labelled_file(f)
    assert custom.read_labelled_file(f, empty="drop").texts == ["fine", "ok"]
    kept = custom.read_labelled_file(f, empty="keep")
    assert kept.texts == ["fine", "   ", "ok", ""] and kept.labels.tolist() == [0, 1, 1, 0]


def test_undecodable_bytes_are_reported_with_file_line_and_column(tmp_path):
    f = write(tmp_path / "d.csv", b"text,label\ngood,a\nna\xefve \xff,b\n")
    with pytest.raises(DataFormatError) as info:
        custom.read_labelled_file(f)
    message = str(info.value)
    assert "\n" not in message and "d.csv, line 3, column 3" in message and "not valid utf-8" in message
    assert "encoding=" in message
    latin = custom.read_labelled_file(f, encoding="latin-1")
    assert latin.texts[1] == "na\u00efve \u00ff"


def test_labels_all_one_class_are_an_error_unless_classes_are_declared(tmp_path):
    f = write(tmp_path / "d.csv", "text,label\nx,pos\ny,pos\n")
    with pytest.raises(DataFormatError, match="one class only.*classes="):
        custom.read_labelled_file(f)
    data = custom.read_labelled_file(f, classes=["neg", "pos"])
    assert data.labels.tolist() == [1, 1] and data.class_names == ("neg", "pos")


def test_other_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        custom.read_labelled_file(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="format="):
        custom.read_labelled_file(write(tmp_path / "d.txt", "x"))
    with pytest.raises(DataFormatError, match="line 3: the label is missing"):
        custom.read_labelled_file(write(tmp_path / "m.csv", "text,label\na,1\nb\n"))
    with pytest.raises(DataFormatError, match="line 1: not valid JSON"):
        custom.read_labelled_file(write(tmp_path / "b.jsonl", "{oops\n"))
    with pytest.raises(DataFormatError, match="holds no labelled texts"):
        custom.read_labelled_file(write(tmp_path / "h.csv", "text,label\n"))
    with pytest.raises(ValueError, match="empty= must be"):
        custom.read_labelled_file(write(tmp_path / "e.csv", "text,label\na,1\n"), empty="skip")


def test_encode_labels_rules():
    ids, names = encode_labels(["b", "a", "c", "a"])
    assert names == ("a", "b", "c") and ids.tolist() == [1, 0, 2, 0] and ids.dtype == np.int64
    ids, names = encode_labels([10, 2, "2", 1.0])
    assert names == ("1", "2", "10") and ids.tolist() == [2, 1, 1, 0]
    with pytest.raises(ValueError, match="twice"):
        encode_labels(["a"], classes=["a", "a"])
