"""Layers applied in order with Keras's mask propagation: the chain case of the graph walk.

An Embedding with ``mask_zero`` makes a mask, recurrent layers read it, and each layer's
``compute_mask`` says what the next one sees. ``run_stack`` is ``functional.walk.run_graph``
on a chain (``Graph.chain``), kept for the code that looks at a model one layer after another
(the per-step views of rnnkit.insight).
"""

from __future__ import annotations

from typing import Callable

from ..functional.graph import Graph
from ..functional.walk import run_graph


def run_stack(layers, x, call: Callable, mask=None):
    """(last output, one record per layer). ``call(layer, x, mask)`` runs one layer and returns
    (its output, a record to keep: a cache, or None)."""
    layers = list(layers)
    outputs, records = run_graph(Graph.chain(layers), layers, [x], call, [mask])
    return outputs[0], records
