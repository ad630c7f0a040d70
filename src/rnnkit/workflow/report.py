"""``rnnkit compare``: finished runs → report.md and report.html (one table, overlaid curves)."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

from ..data import sources
from . import plots, runs
from .recipes import reported_text
from .train import read_history

COLUMNS = ("run", "recipe", "changes", "data", "params", "epochs run", "best val acc",
           "test acc", "material", "s/epoch")


@dataclass
class Row:
    """One run's line of the table, and its history for the curves."""

    cells: tuple[str, ...]
    history: dict


def _fmt(value, spec: str = ".4f") -> str:
    return "—" if value is None else format(value, spec)


def _data_note(config: dict) -> str:
    return sources.get(config["data"]["source"]).describe(config["data"])


def row_for(run_dir: Path) -> Row:
    run = runs.Run.open(run_dir)
    metrics = run.metrics()
    history_file = run.path / runs.HISTORY
    history = read_history(history_file) if history_file.is_file() else {}
    # The material's figure stands only beside a run on the recipe's own data (recipes.load
    # drops it from the config of a run pointed at other data).
    cells = (run.path.name, run.name, " ".join(metrics.get("overrides") or []) or "—",
             _data_note(run.config), _fmt(metrics.get("params"), ","),
             _fmt(metrics.get("epochs_run"), "d"), _fmt(metrics.get("best_val_accuracy")),
             _fmt(metrics.get("test_accuracy")), reported_text(run.config) or "—",
             _fmt(metrics.get("seconds_per_epoch"), ".1f"))
    return Row(cells, history)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(r.cells) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def html_table(rows: list[Row]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r.cells) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(run_dirs: list[Path], out: Path) -> Path:
    """Write report.md, report.html and curves.png into ``out``; returns report.md's path."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [row_for(d) for d in run_dirs]
    plots.overlaid_curves({r.cells[0]: r.history for r in rows}, out / "curves.png")  # per run
    sources = "\n".join(f"- `{r.cells[0]}`: {d}" for r, d in zip(rows, run_dirs))
    intro = ("Ours beside the study material's figure (\"material\": the metric it reports). "
             "Best val acc is the monitored best epoch's validation accuracy; test acc is that "
             "checkpoint on the test set.\n")
    runs.atomic_write_text(out / "report.md", f"# rnnkit compare\n\n{intro}\n"
                           f"{markdown_table(rows)}\n![validation curves](curves.png)\n\n"
                           f"Runs:\n{sources}\n")
    image = base64.b64encode((out / "curves.png").read_bytes()).decode("ascii")
    runs.atomic_write_text(out / "report.html", _HTML.format(
        intro=html.escape(intro), table=html_table(rows), image=image))
    return out / "report.md"


_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>rnnkit compare</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child{{text-align:left}}
th{{background:#f3f3f3}}</style></head>
<body><h1>rnnkit compare</h1><p>{intro}</p>{table}
<h2>Validation curves</h2><img alt="validation curves" src="data:image/png;base64,{image}">
</body></html>
"""
