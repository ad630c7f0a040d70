"""Layers applied in order with Keras's mask propagation: the one loop every engine runs.

An Embedding with ``mask_zero`` makes a mask, recurrent layers read it, and each layer's
``compute_mask`` says what the next one sees. The NumPy engine's passes, the torch engine's
network of modules (which have the same ``compute_mask``) and the gradient check all walk their
layers through ``run_stack``.
"""

from __future__ import annotations

from typing import Callable


def run_stack(layers, x, call: Callable, mask=None):
    """(last output, one record per layer). ``call(layer, x, mask)`` runs one layer and returns
    (its output, a record to keep: a cache, or None)."""
    records = []
    for layer in layers:
        out, record = call(layer, x, mask)
        mask = layer.compute_mask(x, mask)
        records.append(record)
        x = out
    return x, records
