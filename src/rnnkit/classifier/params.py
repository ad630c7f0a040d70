"""scikit-learn parameters ↔ recipe keys: ``train__epochs=2`` is ``--set train.epochs=2``.

scikit-learn names nested parameters with ``__`` (``GridSearchCV(..., {"train__epochs": [2,
3]})``, ``Pipeline``'s ``clf__train__epochs``), so a recipe key's dots are written as ``__``;
the dotted spelling is accepted too (``**{"train.epochs": 2}``). Every key ``rnnkit train
--print-config`` shows can be set, with the same checks as ``--set``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..workflow import recipes


def recipe_key(param: str) -> str:
    return param.replace("__", ".")


def resolve(recipe: str, overrides: Mapping[str, Any]) -> dict:
    """The recipe's config with the overrides applied, for data given in memory.

    As for ``--data``, a recipe's display names and Keras's IMDB word ranks belong to its own
    dataset: the classes are the labels given to ``fit``, and ranks come from the training
    texts, unless an override sets them.
    """
    try:
        config = recipes.load(recipe)
    except recipes.RecipeError as e:
        raise ValueError(f"TextClassifier(recipe={recipe!r}): {e}") from None
    config["data"]["class_names"] = {}
    if config["data"]["word_index"] == "keras":
        config["data"]["word_index"] = "train"
    for param, value in overrides.items():
        try:
            recipes.set_key(config, recipe_key(param), copy.deepcopy(value))
        except recipes.RecipeError as e:
            message = str(e).split(": ", 1)[-1]
            raise ValueError(f"TextClassifier parameter {param!r}: {message}") from None
    return config
