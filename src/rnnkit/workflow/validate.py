"""Every value of a resolved config checked before anything is loaded, built or written.

A bad value must be a one-line error naming the key (or the flag that sets it) and the values
it may take — not a traceback an hour into training, and not a half-made run directory.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any, Callable

from .. import losses, optimizers
from ..data import sources
from ..data.custom import FORMATS
from .recipes import RecipeError

#: data keys that have a flag of their own on ``rnnkit train`` (the rest are ``--set key=…``)
FLAGS = {"data.path": "--data", "data.test_path": "--test-data",
         "data.text_column": "--text-column", "data.label_column": "--label-column",
         "data.format": "--format", "data.file_encoding": "--encoding", "data.empty": "--empty"}

#: how the data layer's Python keywords read on the command line (see ``UserError.render``)
CLI_SPELLING = {"text_column": "--text-column", "label_column": "--label-column",
                "format": "--format", "encoding": "--encoding",
                "classes": "--set data.classes=", "empty": "--empty"}

CHOICES = {
    "data.format": ("", "csv", "tsv", "jsonl"),
    "data.empty": ("error", "drop", "keep"),
    "data.encoding": ("tokenizer", "keras_imdb"),
    "data.word_index": ("keras", "train"),
    "data.validation": ("holdout", "last"),
    "train.monitor": ("val_accuracy", "val_loss", "accuracy", "loss"),
}

#: (key, smallest allowed value, whether the bound itself is allowed)
BOUNDS = (("data.test_split", 0.0, False), ("data.validation_split", 0.0, False),
          ("data.num_words", 2, True), ("data.maxlen", 1, True), ("data.categories", 2, True),
          ("data.train_size", 0, True), ("data.validation_size", 0, True),
          ("data.test_size", 0, True),
          ("train.batch_size", 1, True), ("train.epochs", 1, True), ("train.patience", 0, True),
          ("train.learning_rate", 0.0, False))
SHARES = ("data.test_split", "data.validation_split")


def spell(key: str) -> str:
    """How a user sets ``key``: its flag, or ``--set key``."""
    return FLAGS.get(key, f"--set {key}")


def check_config(config: dict) -> None:
    """Raise RecipeError for the first bad value of ``config`` (files included)."""
    for key, allowed in {"data.source": sources.names(), **CHOICES}.items():
        value = _get(config, key)
        if value not in allowed:
            shown = ", ".join(repr(a) for a in allowed if a) + (" (or '' to infer it)"
                                                               if "" in allowed else "")
            raise RecipeError(f"{spell(key)}: unknown value {value!r}; use one of {shown}")
    for key, low, inclusive in BOUNDS:
        _check_number(config, key, low, inclusive)
    for key in SHARES:
        if not _get(config, key) < 1:
            raise RecipeError(f"{spell(key)}: {_get(config, key)!r} is a share of the "
                              f"examples; use a number between 0 and 1, e.g. 0.2")
    _check_named(config, "train.optimizer", optimizers.get, "optimizer", optimizers.NAMES)
    if config["train"]["loss"]:
        _check_named(config, "train.loss", losses.get, "loss", losses.NAMES)
    _check_layers(config["model"]["layers"])
    _check_data(config["data"])


def _get(config: dict, key: str) -> Any:
    section, name = key.split(".")
    return config[section][name]


def _check_number(config: dict, key: str, low: float, inclusive: bool) -> None:
    value = _get(config, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecipeError(f"{spell(key)}: expected a number, got {value!r}")
    if value < low or (value == low and not inclusive):
        bound = f"at least {low}" if inclusive else f"above {low}"
        raise RecipeError(f"{spell(key)}: {value!r} is out of range; use a number {bound}")


def _check_named(config: dict, key: str, get: Callable[[str], Any], what: str,
                 names) -> None:
    value = _get(config, key)
    try:
        get(value)
    except ValueError:
        raise RecipeError(f"{spell(key)}: unknown {what} {value!r}; use one of "
                          f"{', '.join(names)}") from None


def _check_layers(layers: Any) -> None:
    example = "[{ type = \"Embedding\", input_dim = 10000, output_dim = 32 }, …]"
    if not isinstance(layers, list) or not all(isinstance(s, dict) for s in layers):
        raise RecipeError(f"--set model.layers: {layers!r} is not a list of layer tables; write "
                          f"it as model.layers = {example}, or set one argument with "
                          f"--set model.layers.N.units=32")
    for i, spec in enumerate(layers):
        if "type" not in spec:
            raise RecipeError(f"model.layers.{i} has no type; add type = \"GRU\" (or another "
                              f"layer name) to it")


def _check_data(data: dict) -> None:
    if data["char_level"] and data["encoding"] != "tokenizer":
        raise RecipeError(f"--set data.char_level applies to data.encoding = 'tokenizer' (the "
                          f"Keras IMDB ids are words), but data.encoding is "
                          f"{data['encoding']!r}; add --set data.encoding=tokenizer or leave "
                          f"char_level out")
    names = data["class_names"]
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise RecipeError(
            f"--set data.class_names: {names!r} is not a mapping from label value to display "
            f"name; write it as data.class_names = {{ neg = \"Negative\", pos = \"Positive\" }} "
            f"in a recipe, or --set 'data.class_names={{neg=\"Negative\", pos=\"Positive\"}}'")
    if not isinstance(data["classes"], list):
        raise RecipeError(f"--set data.classes: expected a list of label values in class order, "
                          f"e.g. --set 'data.classes=[\"neg\", \"pos\"]', got {data['classes']!r}")
    try:
        codecs.lookup(data["file_encoding"])
    except LookupError:
        raise RecipeError(f"--encoding: unknown text encoding {data['file_encoding']!r}; use "
                          f"e.g. utf-8, latin-1 or cp1252") from None
    source = sources.get(data["source"])
    if source.file_keys:
        _check_files(data)
    for other in sources.registered().values():
        for key in (k for k in other.exclusive if other is not source and data.get(k)):
            raise RecipeError(f"{spell('data.' + key)} applies to {other.summary}, but "
                              f"data.source is {data['source']!r}; use {other.how_to_choose()} "
                              f"or leave it out")


def _check_files(data: dict) -> None:
    if not data["path"]:
        raise RecipeError("data.source = 'file' needs a file: pass --data FILE (a CSV, TSV or "
                          "JSONL file of texts and labels)")
    for key in ("path", "test_path"):
        path = data[key]
        if path and not Path(path).is_file():
            raise RecipeError(f"{spell('data.' + key)} {path}: no such file (relative paths "
                              f"start at {Path.cwd()})")
        if path and not data["format"] and Path(path).suffix.lower() not in FORMATS:
            raise RecipeError(f"{spell('data.' + key)} {path}: cannot tell its format from the "
                              f"suffix; pass --format csv, tsv or jsonl")
