"""Recipes: experiments as TOML files shipped in ``rnnkit/recipes/``, resolved into one config.

A recipe names its dataset, how texts become model inputs, the layers, and how to train; it
also records the figure the study material reports, so a report can set ours beside it. Every
recipe is laid over ``DEFAULTS`` (so every key a user may ``--set`` exists in the resolved
config), then ``--set key=value`` overrides apply. Unknown keys are refused, never ignored:
a typo must not silently train something else.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 uses the backport declared in pyproject
    import tomli as tomllib


from ..data import sources
from ..errors import UserError


class RecipeError(UserError, ValueError):
    """A recipe name, file, key or value is wrong; the message says how to fix it."""


#: Every key a recipe may hold, with the value it takes when the recipe leaves it out.
DEFAULTS: dict[str, Any] = {
    "name": "",
    "description": "",
    "data": {
        # a registered dataset source (rnnkit.data.sources): movie_reviews | aclimdb |
        # reuters21578 | file | …
        "source": "movie_reviews",
        "path": "",                 # source = "file": a CSV/TSV/JSONL file of texts and labels
        "test_path": "",            # source = "file": a separate test file ("" = split path)
        "format": "",               # source = "file": csv | tsv | jsonl ("" = from the suffix)
        "file_encoding": "utf-8",   # source = "file": how the files' bytes are decoded
        "text_column": "text",
        "label_column": "label",
        "empty": "error",           # source = "file": a row with an empty text: error | drop | keep
        "test_split": 0.2,          # movie_reviews / file: share of the texts held out for test
        "categories": 46,           # reuters21578: the N most frequent single-label topics
        # The classes are the label values found in the training data, sorted (numbers
        # numerically), unless `classes` lists the values in the order wanted.
        "classes": [],
        # Display names by label value, e.g. { neg = "Negative", pos = "Positive" }: they must
        # cover exactly the data's label values; {} shows the label values themselves.
        "class_names": {},
        # tokenizer: Keras Tokenizer fit on the training texts; keras_imdb: the Keras IMDB ids
        "encoding": "tokenizer",
        "num_words": 10000,
        # tokenizer: every character is a token (Keras's Tokenizer(char_level=True)) — for text
        # whose words are not split by spaces, or whose spaced words carry endings (Korean)
        "char_level": False,
        "skip_top": 0,
        "word_index": "keras",      # keras_imdb: "keras" (imdb_word_index.json) or "train" ranks
        "drop_ids_below": 0,        # keras_imdb: remove ids < this (3 drops start/oov marks)
        "maxlen": 200,
        "onehot": False,            # feed one-hot vectors of num_words instead of ids
        # holdout: a seeded stratified share of train; last: Keras's validation_split (the tail)
        "validation": "holdout",
        "validation_split": 0.2,
        "validation_size": 0,       # holdout: an exact count instead of the share (0 = use share)
        "train_size": 0,            # keep only this many training examples (0 = all)
        "test_size": 0,             # test on a seeded sample of this many examples (0 = all)
        "split_seed": 42,
    },
    "model": {"layers": []},
    "train": {
        "optimizer": "adam",
        "learning_rate": 0.001,
        "loss": "",                 # "" = binary/sparse categorical crossentropy by class count
        "batch_size": 64,
        "epochs": 10,
        "seed": 42,
        "monitor": "val_accuracy",  # what the best checkpoint keeps
        "early_stopping": True,
        "patience": 3,
        "restore_best_weights": True,
    },
    "reported": {
        "metric": "",               # test_accuracy | val_accuracy
        "value": 0.0,
        "text": "",                 # the figure as the material states it, e.g. "≈ 0.79–0.80"
        "source": "",
    },
}


@dataclass(frozen=True)
class RecipeInfo:
    """One shipped recipe: its name, file and one-line description."""

    name: str
    path: Path
    description: str


def recipes_dir() -> Path:
    """The folder of the shipped recipe files."""
    return Path(str(resources.files("rnnkit") / "recipes"))


def available() -> list[RecipeInfo]:
    """The shipped recipes, sorted by name (``default`` first)."""
    infos = []
    for path in sorted(recipes_dir().glob("*.toml")):
        raw = _read_toml(path)
        infos.append(RecipeInfo(path.stem, path, str(raw.get("description", ""))))
    return sorted(infos, key=lambda r: (r.name != "default", r.name))


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise RecipeError(f"recipe file {path} is not valid TOML ({e}); fix the file") from None


def load(name_or_path: str, overrides: list[str] | None = None,
         values: dict[str, Any] | None = None) -> dict:
    """The resolved config of a shipped recipe (by name), a TOML file, or a run's config.json,
    with ``--set`` ``overrides`` and then ``values`` (dotted key → value, from flags) applied.

    A recipe's display names (``data.class_names``), the material's figure (``reported``) and
    Keras's IMDB word ranks (``data.word_index = "keras"``) belong to the recipe's own dataset:
    when the overrides point it at other data, the names and the figure are dropped and the
    ranks are taken from the training texts, unless the overrides set them again.
    """
    config = merge(DEFAULTS, _read_recipe(name_or_path), where="recipe " + str(name_or_path))
    own = copy.deepcopy(config)
    for item in overrides or []:
        apply_override(config, item)
    for key, value in (values or {}).items():
        section, name = key.split(".")
        config[section][name] = value
    if other_data(own["data"], config["data"]):
        given = [item.split("=", 1)[0].strip() for item in overrides or []] + list(values or {})
        if not any(key.startswith("data.class_names") for key in given):
            config["data"]["class_names"] = {}
        if not any(key.startswith("reported") for key in given):
            config["reported"] = copy.deepcopy(DEFAULTS["reported"])
        if "data.word_index" not in given and config["data"]["word_index"] == "keras":
            config["data"]["word_index"] = "train"
    return config


def other_data(own: dict, data: dict) -> bool:
    """Whether ``data`` reads other texts or labels than a recipe's own ``[data]`` section."""
    keys = {"source", "label_column"} | {key for source in sources.registered().values()
                                         for key in source.selects}
    return any(own.get(k) != data.get(k) for k in keys)


def _read_recipe(name_or_path: str) -> dict:
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        raw = _read_toml(path)
        raw.setdefault("name", path.stem)
        return raw
    if path.name == "config.json" and path.is_file():  # re-run a run's exact config
        return _read_json(path)
    known = {r.name: r for r in available()}
    if name_or_path not in known:
        raise RecipeError(f"unknown recipe {name_or_path!r}; run `rnnkit recipes` to list them "
                          f"({', '.join(known)}), or pass a .toml file or a run's config.json")
    raw = _read_toml(known[name_or_path].path)
    raw.setdefault("name", name_or_path)
    return raw


def _read_json(path: Path) -> dict:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RecipeError(f"{path} is not a run's config.json ({e}); pass the config.json "
                          f"that `rnnkit train` wrote into a run directory") from None
    if not isinstance(raw, dict):
        raise RecipeError(f"{path} is not a run's config.json (not a JSON object)")
    return raw


def merge(base: dict, top: dict, where: str) -> dict:
    """``top`` laid over a deep copy of ``base``; a key ``base`` lacks is an error."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        if key not in out:
            raise RecipeError(f"{where}: unknown key {key!r}; known keys: {', '.join(out)}")
        if isinstance(out[key], dict) and out[key] and isinstance(value, dict):
            out[key] = merge(out[key], value, f"{where} [{key}]")
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (``3``, ``0.5``, ``true``, ``[1, 2]``, ``"x"``), else the string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(config: dict, item: str) -> None:
    """Apply one ``key=value`` (dotted key; list items by index: ``model.layers.1.units=16``)."""
    if "=" not in item:
        raise RecipeError(f"--set {item!r} is not key=value; write e.g. --set train.epochs=5")
    key, text = item.split("=", 1)
    set_key(config, key.strip(), parse_value(text))


def set_key(config: dict, key: str, value: Any) -> None:
    """Set one dotted key to a Python value, with ``--set``'s checks (known key, same type)."""
    parts = key.split(".")
    node: Any = config
    in_layer = False  # inside a layer's dict any layer argument may be added; the layer checks it
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            in_layer = True
            if not part.isdigit() or int(part) >= len(node):
                raise RecipeError(f"--set {key}: {'.'.join(parts[:depth])} has {len(node)} items, "
                                  f"no item {part!r}; use an index from 0 to {len(node) - 1}")
            part = int(part)
        elif in_layer and isinstance(node, dict) and last:
            node[part] = value
            return
        elif not isinstance(node, dict) or part not in node:
            known = ", ".join(_keys(config)) if depth == 0 else ", ".join(
                f"{'.'.join(parts[:depth])}.{k}" for k in node) if isinstance(node, dict) else ""
            raise RecipeError(f"--set {key}: unknown key {'.'.join(parts[:depth + 1])!r}; "
                              f"known keys: {known}")
        if last:
            node[part] = _typed(value, node[part], key)
        else:
            node = node[part]


def _typed(value: Any, current: Any, key: str) -> Any:
    """Keep the type of the default: ``--set train.epochs=five`` is an error, not a string."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise RecipeError(f"--set {key}: expected true or false, got {value!r}")
    elif isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    elif isinstance(current, (int, float)) and not isinstance(value, (int, float)):
        raise RecipeError(f"--set {key}: expected a number, got {value!r}")
    return value


def _keys(config: dict, prefix: str = "") -> list[str]:
    """Every settable dotted key (lists are set item by item, so they are listed whole)."""
    keys = []
    for key, value in config.items():
        if isinstance(value, dict) and value:
            keys += _keys(value, f"{prefix}{key}.")
        else:
            keys.append(prefix + key)
    return keys


def reported_text(config: dict) -> str:
    """The material's figure as one short string, e.g. ``test 0.835`` (empty when none)."""
    rep = config["reported"]
    if not rep["metric"]:
        return ""
    kind = rep["metric"].replace("_accuracy", "")
    return f"{kind} {rep['text'] or format(rep['value'], '.3f')}"
