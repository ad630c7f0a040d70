"""``POST /v1/inspect``: one text's gates and states (``rnnkit.insight.inspect_text``), as JSON
the page draws as a heatmap over the words.

Only the text's own positions are sent (not the padding before it), values rounded to four
decimals; a step the mask skipped is null, as in ``rnnkit inspect --json``.
"""

from __future__ import annotations

import numpy as np

from ..insight import inspect_text
from ..workflow.evaluation import class_probabilities

#: how the page colours each kind of series: gates in [0, 1], tanh units in [-1, 1], the
#: LSTM's cell state unbounded
GATE, UNIT, FREE = "gate", "unit", "free"


def inspection(classifier, text: str) -> dict:
    seen = inspect_text(classifier.model_, text, classifier.encoder_)
    shown = [i for i, status in enumerate(seen.statuses) if status != "padding"]
    names = list(classifier.classes.names)
    probabilities = class_probabilities(np.asarray(seen.output)[None])[0]
    return {
        "text": text,
        "prediction": {"label": names[seen.predicted],
                       "probabilities": {n: float(p) for n, p in zip(names, probabilities)}},
        "positions": [{"position": i, "label": seen.labels[i], "status": seen.statuses[i]}
                      for i in shown],
        "dropped": seen.dropped, "cut": seen.cut,
        "layers": [_layer(seen, layer, shown) for layer in seen.layers],
    }


def _layer(seen, layer, shown: list[int]) -> dict:
    kinds = {**{n: GATE for n in layer.gates}, **{n: UNIT for n in layer.candidates},
             **{n: UNIT if n == "h" else FREE for n in layer.states}}
    return {
        "layer": layer.layer, "direction": layer.direction, "cell": layer.cell,
        "units": layer.units,
        "saturation": {name: {"below_0.1": s.low, "above_0.9": s.high}
                       for name, s in seen.saturation(layer).items()},
        "series": [{"name": name, "kind": kinds[name], "values": _rounded(values[0, shown])}
                   for name, values in layer.series().items()],
    }


def _rounded(values: np.ndarray) -> list:
    """(T, units) → nested lists, four decimals, NaN (a skipped step) as null."""
    return [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in values]
