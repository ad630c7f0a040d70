"""Learning curves with matplotlib's Agg backend (no display needed), written atomically."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Mapping, Sequence

from .runs import atomic_write_bytes


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")  # files only: works on a server, in CI, over ssh
    import matplotlib.pyplot as plt
    return plt


def _integer_ticks():
    from matplotlib.ticker import MaxNLocator
    return MaxNLocator(integer=True)  # epochs are whole numbers


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(Path(path), buffer.getvalue())


def learning_curves(history: Mapping[str, Sequence[float]], path: Path, title: str,
                    best_epoch: int | None = None) -> None:
    """Loss and accuracy per epoch, train vs validation; ``best_epoch`` (1-based) marked."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        for key, label, style in ((metric, "train", "-o"), (f"val_{metric}", "validation", "-s")):
            values = history.get(key) or []
            if values:
                ax.plot(range(1, len(values) + 1), values, style, markersize=3, label=label)
        if best_epoch:
            ax.axvline(best_epoch, color="grey", linestyle="--", linewidth=1,
                       label=f"best epoch ({best_epoch})")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(_integer_ticks())
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    _save(fig, path)
    plt.close(fig)


def overlaid_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], path: Path) -> None:
    """Validation accuracy and loss of several runs on shared axes (one colour per run)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    colours = plt.get_cmap("tab20").colors  # 20 distinct colours: the default cycle repeats at 10
    for ax, metric in zip(axes, ("val_accuracy", "val_loss")):
        for i, (name, history) in enumerate(histories.items()):
            values = history.get(metric) or []
            if values:
                ax.plot(range(1, len(values) + 1), values, label=name,
                        color=colours[2 * i % 20 + (i >= 10)])
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(_integer_ticks())
        ax.set_ylabel(metric.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle("Validation curves")
    _save(fig, path)
    plt.close(fig)
