"""A run's classes: the label values found in its training data, and the names shown for them.

Class ids are positions in ``values`` — the labels exactly as the training data spells them
(``neg``/``pos``, ``ham``/``spam``, ``0``/``1``), sorted unless the recipe lists them in
``data.classes``. Display names are looked up *by value* (``{ neg = "Negative" }``), never
applied by position, so a name can only ever land on the label it was written for. The pair is
saved in the run as ``classes.json`` before training starts; ``predict``, ``evaluate``,
``metrics.json`` and the report all read it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..data.labels import label_key
from .recipes import RecipeError


class ClassMismatchError(RecipeError):
    """Labels of evaluation data that are not the model's classes."""


@dataclass(frozen=True)
class Classes:
    """Label values (class-id order) and their display names."""

    values: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def from_data(cls, values: Sequence[str], display: Mapping[str, str]) -> "Classes":
        """The data's label values with ``display`` names, which must cover them exactly."""
        values = tuple(values)
        if not display:
            return cls(values, values)
        given = {label_key(k): str(v) for k, v in display.items()}
        missing = [v for v in values if v not in given]
        extra = [k for k in given if k not in values]
        if missing or extra:
            raise RecipeError(
                f"data.class_names names labels {sorted(given)} but the data's labels are "
                f"{list(values)}" + (f" (no name for {missing})" if missing else "")
                + (f" ({extra} not in the data)" if extra else "")
                + "; give one name per label value, e.g. --set 'data.class_names={"
                + ", ".join(f'{v}="…"' for v in values) + "}', or --set 'data.class_names={}'")
        names = tuple(given[v] for v in values)
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise RecipeError(f"data.class_names gives {twice} to more than one label; give "
                              f"each label its own name")
        return cls(values, names)

    def to_dict(self) -> dict:
        return {"values": list(self.values), "names": list(self.names)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Classes":
        return cls(tuple(data["values"]), tuple(data["names"]))

    def ids_of(self, labels: Sequence[Any], where: str) -> np.ndarray:
        """Class ids of raw ``labels`` spelled as label values or as display names."""
        lookup = {name: i for i, name in enumerate(self.names)}
        lookup.update({value: i for i, value in enumerate(self.values)})  # values win
        keys = [label_key(label) for label in labels]
        unknown = sorted(set(keys) - lookup.keys())
        if unknown:
            raise ClassMismatchError(
                f"{where} has labels {unknown[:5]} that are not the model's classes "
                f"{list(self.values)}" + ("" if self.names == self.values else
                                          f" (shown as {list(self.names)})")
                + "; evaluate on data labelled with those values (or names)")
        return np.fromiter((lookup[k] for k in keys), dtype=np.int64, count=len(keys))
