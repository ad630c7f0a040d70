"""An explanation shown to a person: coloured words in the terminal (rich) and a self-contained
HTML page. Green words pushed the explained class up, red ones pushed it down; the stronger the
colour, the larger the attribution next to the largest one. Words the model never saw (outside
the vocabulary and dropped, or cut by maxlen) are shown dim and counted in a note.
"""

from __future__ import annotations

import html

from rich.console import Console
from rich.text import Text

from .attributions import Explanation

METHOD_NAMES = {"integrated-gradients": "integrated gradients",
                "gradient-x-input": "gradient × input", "occlusion": "occlusion"}
GREEN, RED, GREY = (0, 170, 70), (220, 40, 40), (150, 150, 150)


def strengths(e: Explanation) -> list[float | None]:
    """Each attribution over the largest |attribution| (in [−1, 1]); None where unseen."""
    seen = [abs(a) for a in e.attributions if a is not None]
    top = max(seen, default=0.0) or 1.0
    return [None if a is None else a / top for a in e.attributions]


def summary_line(e: Explanation) -> str:
    """The prediction, the baseline and what the attributions add up to."""
    method = METHOD_NAMES[e.method] + (f", {e.steps} steps" if e.steps else "")
    explained = f"{e.label(e.target)} {e.probability:.2%}"
    if e.target != e.predicted:
        explained += f" (predicted: {e.label(e.predicted)})"
    change = e.probability - e.baseline_probability
    return (f"{explained} · baseline {e.baseline_probability:.2%} · {method}: Σ attributions "
            f"{e.total:+.4f}, probability − baseline {change:+.4f}")


def unseen_note(e: Explanation) -> str | None:
    """What the model never saw, in words; None if it saw every word."""
    unknown = [t for t, a, s in zip(e.tokens, e.attributions, e.statuses)
               if a is None and s == "unknown"]
    cut = sum(s == "cut" for s in e.statuses)
    parts = []
    if unknown:
        shown = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
        parts.append(f"{len(unknown)} word(s) outside the vocabulary ({shown})")
    if cut:
        parts.append(f"the first {cut} word(s) cut by maxlen")
    return "not seen by the model: " + "; ".join(parts) if parts else None


def strongest(e: Explanation, sign: int, n: int = 5) -> list[tuple[str, float]]:
    """The n words with the largest attributions of ``sign`` (+1 toward, −1 against)."""
    pairs = [(t, a) for t, a in zip(e.tokens, e.attributions) if a is not None and a * sign > 0]
    return sorted(pairs, key=lambda p: -abs(p[1]))[:n]


# ---- terminal ------------------------------------------------------------------------------------
def _rgb(s: float) -> str:
    end = GREEN if s > 0 else RED
    r, g, b = (round(c0 + abs(s) * (c1 - c0)) for c0, c1 in zip(GREY, end))
    return f"rgb({r},{g},{b})"


def coloured_text(e: Explanation) -> Text:
    """The tokens, each coloured by its attribution (bold above half the largest)."""
    text = Text()
    for token, s in zip(e.tokens, strengths(e)):
        if s is None:
            style = "dim italic"
        elif abs(s) < 0.05:
            style = ""
        else:
            style = ("bold " if abs(s) >= 0.5 else "") + _rgb(s)
        text.append(token, style=style)
        text.append(" ")
    return text


def print_explanation(e: Explanation, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    console.print(coloured_text(e))
    console.print()
    console.print(summary_line(e), markup=False)
    for sign, side in ((1, "toward"), (-1, "against")):
        words = strongest(e, sign)
        if words:
            console.print(f"{side} {e.label(e.target)}: "
                          + ", ".join(f"{t} {a:+.4f}" for t, a in words), markup=False)
    note = unseen_note(e)
    if note:
        console.print(note + " (dim above)", style="dim", markup=False)
    warning = completeness_warning(e)
    if warning:
        console.print(warning, style="yellow", markup=False)


def completeness_warning(e: Explanation) -> str | None:
    """Integrated gradients that do not add up within the tolerance: say so, and the fix."""
    if e.method != "integrated-gradients" or e.complete:
        return None
    return (f"the attributions miss probability − baseline by {e.completeness_gap:+.4f} after "
            f"{e.steps} steps: more steps (--steps {2 * e.steps}) make the integral closer")


# ---- HTML ----------------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
.text { line-height: 2.1; font-size: 1.05rem; }
.w { padding: 0.15em 0.2em; border-radius: 0.25em; }
.unknown { color: #999; font-style: italic; text-decoration: underline dotted; }
.cut { color: #bbb; font-style: italic; }
.summary, .note { color: #555; }
table { border-collapse: collapse; }
td, th { padding: 0.15em 0.8em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 0.8em; }
"""


def _background(s: float) -> str:
    r, g, b = GREEN if s > 0 else RED
    return f"background: rgba({r}, {g}, {b}, {0.08 + 0.6 * abs(s):.2f})"


def _span(token: str, status: str, position, a: float | None, s: float | None) -> str:
    word = html.escape(token)
    if a is None:
        why = "outside the vocabulary: not seen by the model" if status == "unknown" \
            else "cut by maxlen: not seen by the model"
        return f'<span class="w {status}" title="{why}">{word}</span>'
    title = html.escape(f"{a:+.5f} (position {position}, {status})", quote=True)
    return f'<span class="w" style="{_background(s)}" title="{title}">{word}</span>'


def _rows(words: list[tuple[str, float]]) -> str:
    return "".join(f"<tr><td>{html.escape(t)}</td><td class=\"num\">{a:+.5f}</td></tr>"
                   for t, a in words)


def html_page(e: Explanation) -> str:
    """One self-contained page (inline CSS, no scripts, nothing fetched); all text escaped."""
    label = html.escape(e.label(e.target))
    spans = " ".join(_span(t, st, p, a, s) for t, st, p, a, s in
                     zip(e.tokens, e.statuses, e.positions, e.attributions, strengths(e)))
    note, warning = unseen_note(e), completeness_warning(e)
    tables = "".join(
        f"<h2>Strongest words {side} {label}</h2><table>{_rows(strongest(e, sign, 10))}</table>"
        for sign, side in ((1, "toward"), (-1, "against")) if strongest(e, sign))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rnnkit explain: {label} {e.probability:.2%}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Which words decided: {label} ({e.probability:.2%})</h1>
<p class="summary">{html.escape(summary_line(e))}</p>
<p class="summary"><span class="w" style="{_background(1.0)}">toward {label}</span>
<span class="w" style="{_background(-1.0)}">against {label}</span>
<span class="w unknown">outside the vocabulary</span> <span class="w cut">cut by maxlen</span>
· hover a word for its attribution</p>
<p class="text">{spans}</p>
{f'<p class="note">{html.escape(note)}</p>' if note else ""}
{f'<p class="note">{html.escape(warning)}</p>' if warning else ""}
{tables}
<details><summary>The text as given</summary><pre>{html.escape(e.text)}</pre></details>
</body>
</html>
"""
