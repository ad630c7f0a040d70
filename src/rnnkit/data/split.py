"""Seeded, stratified train/validation splits."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..random import make_rng


def _allocate(class_sizes: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` across classes in proportion to their sizes (largest remainder method)."""
    exact = class_sizes * (total / class_sizes.sum())
    counts = np.floor(exact).astype(np.int64)
    short = total - counts.sum()
    # Ties in the remainder go to the earlier class (stable argsort), so the result is reproducible.
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def stratified_split_indices(
    labels: Sequence[int] | np.ndarray,
    validation_split: float = 0.2,
    seed: int | None = 113,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a train/validation split that keeps each class's share in both parts.

    Args:
        labels: ``(n,)`` class ids (any hashable values when ``stratify`` is on).
        validation_split: fraction of examples that go to validation, in (0, 1).
        seed: the shuffle seed; ``None`` draws one from rnnkit's root generator
            (``rnnkit.set_random_seed``).
        stratify: keep class proportions; ``False`` gives a plain shuffled split.

    Returns:
        ``(train_idx, val_idx)``: int64 arrays, each in shuffled order (classes interleaved).
    """
    labels = np.asarray(labels)
    n = labels.shape[0]
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must lie strictly between 0 and 1, got {validation_split!r}")
    n_val = int(n * validation_split + 0.5)
    if n_val == 0 or n_val == n:
        raise ValueError(
            f"validation_split={validation_split} of {n} examples leaves one side empty: "
            "use more examples or a fraction nearer 0.5"
        )
    rng = make_rng(seed)
    if not stratify:
        perm = rng.permutation(n)
        return perm[n_val:].astype(np.int64), perm[:n_val].astype(np.int64)
    classes, inverse = np.unique(labels, return_inverse=True)
    members = [np.flatnonzero(inverse == c) for c in range(len(classes))]
    per_class = _allocate(np.array([len(m) for m in members]), n_val)
    train_parts, val_parts = [], []
    for idx, k in zip(members, per_class):
        idx = rng.permutation(idx)
        val_parts.append(idx[:k])
        train_parts.append(idx[k:])
    train = rng.permutation(np.concatenate(train_parts))
    val = rng.permutation(np.concatenate(val_parts))
    return train.astype(np.int64), val.astype(np.int64)


def take(x: Any, idx: np.ndarray) -> Any:
    """``x[idx]`` for arrays; a list of the chosen items for lists and other sequences."""
    if isinstance(x, np.ndarray):
        return x[idx]
    return [x[i] for i in idx]


def train_val_split(
    x: Any,
    y: Sequence[int] | np.ndarray,
    validation_split: float = 0.2,
    seed: int | None = 113,
    stratify: bool = True,
) -> tuple[tuple[Any, np.ndarray], tuple[Any, np.ndarray]]:
    """Split ``(x, y)`` into ``(x_train, y_train), (x_val, y_val)``, stratified by ``y``.

    ``x`` may be an array (rows are split) or a list (e.g. texts); it keeps its type. See
    ``stratified_split_indices`` for the arguments.
    """
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}: they must pair up one to one")
    train, val = stratified_split_indices(y, validation_split, seed=seed, stratify=stratify)
    return (take(x, train), y[train]), (take(x, val), y[val])
