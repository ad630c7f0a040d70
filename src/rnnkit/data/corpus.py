"""Containers the text loaders return.

They unpack like Keras's tuples, so ``(x_train, y_train), (x_test, y_test) = load_data()`` works,
while keeping what a tuple would lose: class names, source ids and per-example metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

import numpy as np

from .split import stratified_split_indices, take


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with their class ids.

    Attributes:
        texts: ``n`` strings.
        labels: ``(n,)`` int64 class ids (``-1`` marks unlabelled examples).
        class_names: name of each class id.
        ids: ``n`` source identifiers (e.g. ``'train/pos/123_9'``, ``'reut2-000.sgm#1'``), if known.
        meta: extra per-example columns, each an array of shape ``(n,)`` (e.g. ``'rating'``).
    """

    texts: list[str]
    labels: np.ndarray
    class_names: tuple[str, ...]
    ids: tuple[str, ...] | None = None
    meta: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.texts)
        if self.labels.shape != (n,):
            raise ValueError(f"labels have shape {self.labels.shape}, expected ({n},) for {n} texts")
        if self.ids is not None and len(self.ids) != n:
            raise ValueError(f"{len(self.ids)} ids for {n} texts")
        for name, column in self.meta.items():
            if len(column) != n:
                raise ValueError(f"meta column {name!r} has {len(column)} values for {n} texts")

    def __iter__(self) -> Iterator:
        """``x, y = split`` unpacks to the texts and the labels."""
        return iter((self.texts, self.labels))

    @property
    def size(self) -> int:
        """Number of examples."""
        return len(self.texts)

    def class_counts(self) -> dict[str, int]:
        """Examples per class name (unlabelled examples are not counted)."""
        counts = np.bincount(self.labels[self.labels >= 0], minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts)}

    def subset(self, idx: np.ndarray) -> "LabelledTexts":
        """The examples at ``idx``, in that order, with their ids and metadata."""
        return LabelledTexts(
            take(self.texts, idx),
            self.labels[idx],
            self.class_names,
            None if self.ids is None else tuple(take(self.ids, idx)),
            {k: np.asarray(v)[idx] for k, v in self.meta.items()},
        )

    def split(
        self, validation_split: float = 0.2, seed: int | None = 113, stratify: bool = True
    ) -> tuple["LabelledTexts", "LabelledTexts"]:
        """Seeded stratified split into ``(train, validation)``; see ``stratified_split_indices``."""
        train, val = stratified_split_indices(self.labels, validation_split, seed=seed, stratify=stratify)
        return self.subset(train), self.subset(val)


@dataclass(frozen=True)
class TextDataset:
    """A train/test pair (and optionally unlabelled texts) over one set of classes.

    ``(x_train, y_train), (x_test, y_test) = dataset`` unpacks like Keras's ``load_data()``.
    """

    train: LabelledTexts
    test: LabelledTexts
    unlabelled: LabelledTexts | None = None

    def __iter__(self) -> Iterator:
        return iter((tuple(self.train), tuple(self.test)))

    @property
    def class_names(self) -> tuple[str, ...]:
        """Name of each class id."""
        return self.train.class_names
