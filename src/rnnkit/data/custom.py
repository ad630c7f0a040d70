"""Your own labelled texts: CSV, TSV or JSON Lines files with a text column and a label column.

- The format comes from the suffix (``.csv``, ``.tsv``/``.tab``, ``.jsonl``/``.ndjson``) or ``format=``.
- Labels may be strings or integers; they are mapped to class ids ``0..k-1`` (integer-like labels in
  numeric order, others alphabetically, or in the order of ``classes=``) and the names are kept.
- The file is decoded strictly (``encoding='utf-8'`` by default, a byte-order mark tolerated):
  undecodable bytes are reported with the file and line before any training starts.
- An empty (or whitespace-only) text is an error naming the line, unless ``empty='drop'`` (skip the
  row) or ``empty='keep'`` (an empty text tokenizes to an empty sequence, i.e. all padding).
- A file whose labels are all one class is an error unless ``classes=`` declares the full set (or
  ``min_classes=1``: a test file may hold one class).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Iterator, Sequence

from .corpus import LabelledTexts, TextDataset
from .errors import DataFormatError, MissingDataFileError
from .labels import encode_labels
from .sources import DatasetSource, register, split_of

PathLike = str | os.PathLike
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _decode(path: Path, encoding: str) -> str:
    return decode(path.read_bytes(), str(path), encoding)


def decode(data: bytes, where: str, encoding: str) -> str:
    """``data`` decoded strictly; a bad byte is a one-line error naming ``where``, line, column."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # tolerate the byte-order mark spreadsheet programs write
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataFormatError(
            f"{where}, line {line}, column {column}: byte {data[exc.start:exc.start + 1]!r} is not valid "
            f"{exc.encoding}; re-save the file as UTF-8 or pass its real encoding, e.g. {{opt:encoding=cp949}} (Korean), {{opt:encoding=shift_jis}} (Japanese), {{opt:encoding=gb18030}} (Chinese) or {{opt:encoding=latin-1}} (Western European)"
        ) from None


def _format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("csv", "tsv", "jsonl"):
            raise DataFormatError(f"{{opt:format=}} must be csv, tsv or jsonl, got {fmt!r}")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise DataFormatError(f"cannot tell the format of {path} from its suffix: pass {{opt:format=}} csv, tsv or jsonl") from None


def _check_columns(path: Path, available: Sequence[str], wanted: dict[str, str], where: str = "") -> None:
    for role, name in wanted.items():
        if name not in available and len(available) == 1 and ("\t" in available[0] or "," in available[0]):
            other = "tsv" if "\t" in available[0] else "csv"
            raise DataFormatError(f"{path}{where} reads as one column {available[0]!r}: its fields "
                                  f"are not split by this format; pass {{opt:format={other}}}")
        if name not in available:
            raise DataFormatError(
                f"{path}{where} has no column {name!r} (it has {list(available)}); pass {{opt:{role}=}} naming "
                f"the column that holds the {role.split('_')[0]}s"
            )


def _delimited_rows(path: Path, text: str, delimiter: str, wanted: dict[str, str]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    _check_columns(path, reader.fieldnames or [], wanted)
    line = 1  # the header's last line; a record starts on the line after the previous one ended
    for row in reader:
        start, line = line + 1, reader.line_num
        yield start, row


def _jsonl_rows(path: Path, text: str, wanted: dict[str, str]) -> Iterator[tuple[int, dict]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{path}, line {number}: not valid JSON ({exc.msg}); fix or remove the line") from None
        if not isinstance(record, dict):
            raise DataFormatError(f"{path}, line {number}: expected a JSON object per line, got {type(record).__name__}")
        _check_columns(path, list(record), wanted, where=f", line {number},")
        yield number, record


def read_labelled_file(
    path: PathLike, *, text_column: str = "text", label_column: str = "label", format: str | None = None,
    delimiter: str | None = None, encoding: str = "utf-8", classes: Sequence[Any] | None = None,
    empty: str = "error", min_classes: int = 2,
) -> LabelledTexts:
    """Read one CSV/TSV/JSONL file of labelled texts (see the module docstring for the rules).

    Returns ``LabelledTexts`` with ``ids`` ``'<file name>:<line>'`` for each kept row.
    """
    if empty not in ("error", "drop", "keep"):
        raise DataFormatError(f"{{opt:empty=}} must be error, drop or keep, got {empty!r}")
    path = Path(path)
    if not path.is_file():
        raise MissingDataFileError(f"{path} does not exist: check the path (relative paths start at {Path.cwd()})")
    fmt = _format(path, format)
    content = _decode(path, encoding)
    wanted = {"text_column": text_column, "label_column": label_column}
    if fmt == "jsonl":
        rows = _jsonl_rows(path, content, wanted)
    else:
        rows = _delimited_rows(path, content, delimiter or ("," if fmt == "csv" else "\t"), wanted)
    texts, labels, ids = [], [], []
    for line, row in rows:
        text, label = row.get(text_column), row.get(label_column)
        if label is None or (isinstance(label, str) and not label.strip()):
            raise DataFormatError(f"{path}, line {line}: the label is missing; fill it in or remove the row")
        if not isinstance(label, (str, int, float, bool)):
            raise DataFormatError(f"{path}, line {line}: the label is a {type(label).__name__} "
                                  f"({label!r}); give one label per row, a string or a number")
        if text is not None and not isinstance(text, str):
            raise DataFormatError(f"{path}, line {line}: the text is a {type(text).__name__}, not a string")
        if text is None or not text.strip():
            if empty == "error":
                raise DataFormatError(f"{path}, line {line}: the text is empty; fill it in, or pass "
                                      "{opt:empty=drop} to skip such rows (or {opt:empty=keep} to keep them)")
            if empty == "drop":
                continue
            text = text or ""
        texts.append(text)
        labels.append(label)
        ids.append(f"{path.name}:{line}")
    if not texts:
        raise DataFormatError(f"{path} holds no labelled texts: add rows below the header")
    try:
        ids_array, names = encode_labels(labels, classes)
    except DataFormatError as exc:  # keep its {opt:…} marks for the caller to spell
        raise DataFormatError(f"{path}: {exc.args[0]}") from None
    if len(names) < min_classes:
        raise DataFormatError(
            f"every label in {path} is {names[0]!r}, one class only; a classifier needs two or more: check "
            "{opt:label_column=}, or pass {opt:classes=} to declare all classes"
        )
    return LabelledTexts(texts, ids_array, names, tuple(ids))


def load_data(
    train_path: PathLike, test_path: PathLike | None = None, *, test_split: float = 0.2, seed: int = 113,
    classes: Sequence[Any] | None = None, **read_options: Any,
) -> TextDataset:
    """A train/test ``TextDataset`` from one file (split, stratified, by ``test_split``/``seed``) or two.

    ``read_options`` go to ``read_labelled_file`` (text_column, label_column, format, encoding, ...).
    With two files, the test file's labels are mapped with the training file's classes.
    """
    train = read_labelled_file(train_path, classes=classes, **read_options)
    if test_path is None:
        train, test = train.split(validation_split=test_split, seed=seed)
        return TextDataset(train=train, test=test)
    try:
        test = read_labelled_file(test_path, classes=train.class_names, **read_options)
    except DataFormatError as exc:
        if "are not among the classes" not in exc.args[0]:
            raise
        raise DataFormatError(f"{exc.args[0].split(': add them')[0]}, the classes of the training "
                              f"file {train_path}; a test file may only hold labels the training "
                              "file has") from None
    return TextDataset(train=train, test=test)


# ---- as a recipe's data.source = "file" ---------------------------------------------------------
def read_options(data) -> dict:
    """How a recipe's ``[data]`` section reads a labelled file (``read_labelled_file``'s
    keywords)."""
    return {"text_column": data["text_column"], "label_column": data["label_column"],
            "format": data["format"] or None, "encoding": data["file_encoding"],
            "empty": data["empty"]}


def _load_section(data) -> TextDataset:
    return load_data(data["path"], data["test_path"] or None, test_split=data["test_split"],
                     seed=data["split_seed"], classes=data["classes"] or None,
                     **read_options(data))


def _test_source(data) -> str:
    if data["test_path"]:
        return f"the test file {data['test_path']}"
    return split_of(lambda d: d["path"])(data)


def _note(data) -> str:
    test = f", test {Path(data['test_path']).name}" if data["test_path"] else ""
    return f"file {Path(data['path']).name}{test}"


register(DatasetSource(
    "file", load=_load_section, summary="your own data files", test_source=_test_source,
    note=_note, selects=("path", "test_path"), exclusive=("path", "test_path", "classes"),
    file_keys=("path", "test_path"), choose="--data FILE (which sets data.source = 'file')"))
