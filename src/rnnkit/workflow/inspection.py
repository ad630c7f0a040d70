"""``rnnkit inspect RUN "text"``: the gates and states of every recurrent layer over one text.

Writes one heatmap PNG per layer and direction and ``inspect.json`` (the words, the
prediction, per layer: saturation, the units that move the prediction most, and every value)
into ``--out``, each file atomically (the command refuses to replace existing ones without
``--overwrite``); prints a short summary (or, with ``--json``, the JSON document).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from .runs import atomic_write_bytes, atomic_write_text

JSON_FILE = "inspect.json"
#: padding columns drawn before the text (the rest of a long run of padding is left out)
PADDING_SHOWN = 3
TOP_UNITS = 5


class InspectError(UserError, ValueError):
    """The text cannot be inspected; the message says what to change."""


def figure_name(layer) -> str:
    return f"{layer.layer}-{layer.direction}.png"


@dataclass
class Inspected:
    """A text read by a run's classifier: the insight view and the classifier (its classes)."""

    seen: object
    classifier: object
    run: str

    def files(self, out: Path) -> list[Path]:
        return [out / figure_name(layer) for layer in self.seen.layers] + [out / JSON_FILE]


def read(run, text: str) -> Inspected:
    """Inspect ``text`` with the run's (or model file's) classifier; nothing is written."""
    from ..classifier import load_classifier
    from ..insight import inspect_text
    if not text.strip():
        raise InspectError("the text is empty; give inspect some words to read")
    classifier = load_classifier(run)
    seen = inspect_text(classifier.model_, text, classifier.encoder_)
    if all(s in ("padding", "start") for s in seen.statuses):
        raise InspectError("no word of the text reached the model (every word is outside its "
                           "vocabulary); try a text with common words")
    return Inspected(seen, classifier, str(run))


def write(inspected: Inspected, out: Path) -> dict:
    """The heatmaps and inspect.json into ``out``, each atomically; returns the document."""
    seen = inspected.seen
    document = _document(seen, inspected.classifier, inspected.run)
    out.mkdir(parents=True, exist_ok=True)
    for layer in seen.layers:
        atomic_write_bytes(out / figure_name(layer), _figure(seen, layer))
    atomic_write_text(out / JSON_FILE, json.dumps(document, ensure_ascii=False) + "\n")
    return document


def shown_positions(statuses) -> slice:
    """The text's positions and the last few padding steps before it."""
    first = next((i for i, s in enumerate(statuses) if s != "padding"), len(statuses))
    return slice(max(0, first - PADDING_SHOWN), len(statuses))


def _figure(seen, layer) -> bytes:
    from ..insight.plots import gates_figure
    shown = shown_positions(seen.statuses)
    kinds = {**{n: "gate" for n in layer.gates}, **{n: "unit" for n in layer.candidates},
             **{n: "unit" if n == "h" else "free" for n in layer.states}}
    series = {name: values[0, shown] for name, values in layer.series().items()}
    hidden = shown.start
    title = (f"{layer.layer} ({layer.cell}, {layer.direction}, {layer.units} units) — "
             f"(word): outside the vocabulary"
             + (f"; {hidden} earlier padding steps not drawn" if hidden else "")
             + ("; grey: steps the mask skips" if any(
                 np.isnan(v).any() for v in layer.gates.values()) else ""))
    return gates_figure(series, kinds, seen.labels[shown], title)


def _rounded(values: np.ndarray) -> list:
    """(T, u) → nested lists, 5 decimals, NaN (a skipped step) as null."""
    return [[None if np.isnan(v) else round(float(v), 5) for v in row] for row in values]


def _document(seen, classifier, run: str) -> dict:
    names = list(classifier.classes.names)
    probabilities = classifier.predictions([seen.text])[0].probabilities
    return {
        "run": run, "text": seen.text,
        "prediction": {"label": names[seen.predicted],
                       "probabilities": {n: float(p) for n, p in zip(names, probabilities)}},
        "positions": [{"position": i, "label": label, "status": status}
                      for i, (label, status) in enumerate(zip(seen.labels, seen.statuses))],
        "dropped": seen.dropped, "cut": seen.cut,
        "saturation_rule": "share of the gate's values on the text's positions below 0.1 / "
                           "above 0.9",
        "unit_rule": "|dp/dh_T[j] * h_T[j]|, p the model's output for the predicted class, "
                     "h_T the direction's final hidden state",
        "layers": [_layer_document(seen, layer) for layer in seen.layers],
    }


def _layer_document(seen, layer) -> dict:
    return {
        "layer": layer.layer, "direction": layer.direction, "cell": layer.cell,
        "units": layer.units, "figure": figure_name(layer),
        "saturation": {name: {"below_0.1": round(s.low, 4), "above_0.9": round(s.high, 4)}
                       for name, s in seen.saturation(layer).items()},
        "top_units": [{"unit": u.unit, "final_value": round(u.value, 5),
                       "gradient": round(u.gradient, 6),
                       "contribution": round(u.contribution, 6)}
                      for u in layer.top_units(0, TOP_UNITS)],
        "values": {name: _rounded(values[0]) for name, values in layer.series().items()},
    }


def summary_lines(document: dict, out: Path) -> list[str]:
    """What the terminal shows: the prediction, the words, per layer saturation and units."""
    prediction = document["prediction"]
    statuses = [p["status"] for p in document["positions"]]
    lines = [(f"Prediction: {prediction['label']} "
              f"({prediction['probabilities'][prediction['label']]:.3f})"),
             (f"Positions: {statuses.count('known') + statuses.count('unknown')} words "
              f"({statuses.count('unknown')} outside the vocabulary), "
              f"{statuses.count('padding')} padding; {len(document['dropped'])} dropped, "
              f"{len(document['cut'])} cut by maxlen")]
    for layer in document["layers"]:
        lines.append(f"{layer['layer']} ({layer['cell']}, {layer['direction']}, "
                     f"{layer['units']} units) → {out / layer['figure']}")
        if layer["saturation"]:
            lines.append("  saturated (<0.1 / >0.9): " + "  ".join(
                f"{name} {s['below_0.1']:.0%}/{s['above_0.9']:.0%}"
                for name, s in layer["saturation"].items()))
        lines.append("  units moving the prediction most (∂p/∂h_T·h_T): " + ", ".join(
            f"{u['unit']} ({u['contribution']:+.3g})" for u in layer["top_units"]))
    lines.append(f"JSON: {out / JSON_FILE}")
    return lines
