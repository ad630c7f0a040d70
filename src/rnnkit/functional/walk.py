"""The one graph walk every engine runs: forward with Keras's mask propagation, and backward
in reverse order with the gradients of a tensor read twice (and of a layer called twice)
summed.

Masks travel along the graph's edges as in Keras: each call's output mask is
``layer.compute_mask(inputs, input masks)``, and a layer taking several inputs gets a list of
masks (None when no input has one). The walk is engine-agnostic: ``units`` are whatever runs a
step — the description layers (NumPy engine, gradient check) or their torch modules — and
``call`` says how to run one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .graph import Graph


def run_graph(graph: Graph, units, inputs: list, call: Callable, masks=None):
    """(outputs, one record per step). ``call(unit, x, mask)`` runs one step and returns (its
    output, a record to keep: a cache, or None). A value is dropped after its last reader, so
    an inference pass holds no more than a chain of layers would."""
    values = dict(zip(graph.inputs, inputs))
    mask_of = dict(zip(graph.inputs, masks or [None] * len(inputs)))
    keep = set(graph.outputs)
    records = []
    for i, step in enumerate(graph.steps):
        unit = units[step.unit]
        x, mask = _read(step, values, mask_of)
        out, record = call(unit, x, mask)
        _write(step, values, mask_of, out, unit.compute_mask(x, mask))
        records.append(record)
        for slot in step.inputs:
            if graph.last_use(slot) == i and slot not in keep:
                del values[slot], mask_of[slot]
    return [values[s] for s in graph.outputs], records


def _read(step, values, mask_of):
    if step.multi:
        masks = [mask_of[s] for s in step.inputs]
        return [values[s] for s in step.inputs], \
            None if all(m is None for m in masks) else masks
    return values[step.inputs[0]], mask_of[step.inputs[0]]


def _write(step, values, mask_of, out, mask) -> None:
    if len(step.outputs) == 1:
        values[step.outputs[0]], mask_of[step.outputs[0]] = out, mask
        return
    # several outputs (return_state): a single mask belongs to the first (the sequence)
    masks = mask if isinstance(mask, (list, tuple)) else [mask] + [None] * (len(out) - 1)
    for slot, value, m in zip(step.outputs, out, masks):
        values[slot], mask_of[slot] = value, m


def backward_graph(graph: Graph, units, records: list, output_grads: list,
                   call: Callable | None = None, needed: list[bool] | None = None):
    """(dL/d(each input) or None, each unit's weight gradients summed over its calls, None
    for a unit no step ran) from dL/d(each output) and the forward pass's ``records``.

    ``call(i, unit, dy, record)`` runs step i's backward (default ``unit.backward``);
    ``needed`` (``Graph.needs_backward``) skips steps nothing below needs. A slot read by
    several steps receives the sum of their gradients."""
    call = call or (lambda i, unit, dy, record: unit.backward(dy, record))
    grads: dict[int, np.ndarray] = {}
    for slot, g in zip(graph.outputs, output_grads):
        _accumulate(grads, slot, g)
    unit_grads: list = [None] * len(units)
    for i in reversed(range(len(graph.steps))):
        step = graph.steps[i]
        if needed is not None and not needed[i]:
            continue
        outs = [grads.pop(s, None) for s in step.outputs]
        if all(g is None for g in outs):
            continue                    # no path from this call to the loss
        dy = outs[0] if len(outs) == 1 else outs
        dx, w_grads = call(i, units[step.unit], dy, records[i])
        unit_grads[step.unit] = w_grads if unit_grads[step.unit] is None else \
            [a + b for a, b in zip(unit_grads[step.unit], w_grads)]
        for slot, d in zip(step.inputs, dx if step.multi else [dx]):
            _accumulate(grads, slot, d)
    return [grads.get(s) for s in graph.inputs], unit_grads


def _accumulate(grads: dict, slot: int, g) -> None:
    if g is None:
        return
    grads[slot] = g if slot not in grads else grads[slot] + g


def loss_entry(graph: Graph, loss, batch) -> tuple:
    """(the gradient entering at the output, ``call`` for ``backward_graph``) of ``loss`` on
    ``batch`` = (y_true, y_pred, sample_weight): where the loss fuses with the output layer's
    activation (sigmoid, softmax) dL/dz = p − y enters below it, through that step's
    ``backward_logits``; else dL/dy enters above it, and every step runs ``backward``."""
    fused = graph.fused_output_step(loss)
    seed = loss.logits_gradient(*batch) if fused is not None else loss.gradient(*batch)

    def call(i, unit, dy, record):
        return unit.backward_logits(dy, record) if i == fused else unit.backward(dy, record)
    return seed, call

