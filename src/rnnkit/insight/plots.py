"""The figures of the per-step views, with matplotlib's Agg backend, as PNG bytes (the caller
writes them atomically). matplotlib is imported here only, when a figure is asked for."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

#: the floor of the log axes: relative gradients below it leave the plot (float32 reaches 1e-45)
FLOOR = 1e-12
_RANGES = {"gate": (0.0, 1.0, "viridis"), "unit": (-1.0, 1.0, "RdBu_r")}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


# ---- gradient flow ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Curve:
    """One line: a cell's curve by distance (0 = last step), relative to its value there."""

    cell: str           # the panel's column, e.g. "SimpleRNN(32)"
    label: str          # the legend, e.g. "after training"
    style: str          # a matplotlib format, e.g. "-" or "--"
    loss: np.ndarray    # ‖∂ℓ/∂h‖ / its value at distance 0
    jacobian: np.ndarray  # ‖∂h_T/∂h‖_F / √u


def gradient_figure(curves: list[Curve], title: str, threshold: float) -> bytes:
    """Rows ‖∂ℓ/∂h_t‖ and ‖∂h_T/∂h_t‖_F, one column per cell, log scale, shared y per row."""
    plt = _pyplot()
    cells = list(dict.fromkeys(c.cell for c in curves))
    fig, axes = plt.subplots(2, len(cells), figsize=(4.2 * len(cells), 6.6), sharey="row",
                             squeeze=False)
    rows = (("loss", "‖∂ℓ/∂h_t‖ ÷ its value at t = T"),
            ("jacobian", "‖∂h_T/∂h_t‖_F ÷ its value at t = T"))
    for r, (field, ylabel) in enumerate(rows):
        for col, cell in enumerate(cells):
            ax = axes[r][col]
            for curve in (c for c in curves if c.cell == cell):
                values = np.asarray(getattr(curve, field), np.float64)
                ax.semilogy(np.arange(len(values)), np.where(values > FLOOR, values, np.nan),
                            curve.style, linewidth=1.4, label=curve.label)
            ax.axhline(threshold, color="grey", linestyle=":", linewidth=1)
            ax.set_ylim(bottom=FLOOR)
            ax.grid(alpha=0.3, which="both")
            ax.set_xlabel("distance back from the last step, T − t")
            if r == 0:
                ax.set_title(cell)
            if col == 0:
                ax.set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


# ---- gates and states -------------------------------------------------------------------------------
def gates_figure(series: dict, kinds: dict, labels: list[str], title: str) -> bytes:
    """One heatmap per quantity (units × positions), words under the last one.

    ``series``: name → (T, u) in time order (NaN where a mask skipped the step); ``kinds``:
    name → "gate" (0…1), "unit" (−1…1) or "free" (symmetric about 0, from the values)."""
    plt = _pyplot()
    names = list(series)
    columns = len(labels)
    width = float(np.clip(2.5 + 0.13 * columns, 8.0, 60.0))
    fig, axes = plt.subplots(len(names), 1, figsize=(width, 0.8 + 1.35 * len(names)),
                             sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        values = np.asarray(series[name], np.float64).T            # units × positions
        low, high, cmap = _RANGES.get(kinds[name], (None, None, "RdBu_r"))
        if low is None:
            high = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
            low = -high
        colours = plt.get_cmap(cmap).with_extremes(bad="#dddddd")     # skipped steps
        image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=colours,
                          vmin=low, vmax=high, interpolation="nearest")
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_yticks([0, values.shape[0] - 1])
        fig.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
    step = max(1, columns // 150)
    bottom = axes[-1, 0]
    drawn, replaced = drawable_labels(labels)
    bottom.set_xticks(np.arange(0, columns, step))
    bottom.set_xticklabels(drawn[::step], rotation=90, fontsize=7)
    if replaced:
        title += (" — #n: position n, a word the installed fonts cannot draw "
                  "(inspect.json has every word)")
    fig.suptitle(title, fontsize=10)
    return _png(fig)


def drawable_labels(labels: list[str]) -> tuple[list[str], bool]:
    """``labels`` with each one matplotlib's font cannot draw (Hangul, CJK… without such a font
    installed) replaced by ``#position``, instead of empty boxes and a warning per character."""
    from matplotlib import font_manager, ft2font
    path = font_manager.findfont(font_manager.FontProperties())
    covered = set(ft2font.FT2Font(path).get_charmap())
    out = [label if all(ord(c) in covered for c in label) else f"#{i}"
           for i, label in enumerate(labels)]
    return out, out != list(labels)
