"""``model.summary()``: Keras 3's table, drawn with rich the way Keras draws it.

Columns at 45 % / 80 % / 100 % of 88 characters (or the terminal's width − 4), a row per layer
with its name (type), output shape and parameter count, then the totals. A Functional model
that is not a chain gets Keras's fourth column, "Connected to" (each call's input tensors as
``layer[node][tensor]``), at 30 / 56 / 74 / 100 % of 108 characters. Once the optimizer has
state, its variables are counted too ("Optimizer params"), as Keras does.
"""

from __future__ import annotations

import shutil

import numpy as np
import rich.markup
import rich.table
from rich.console import Console


def _readable_size(n_bytes: float) -> str:
    """Keras's readable_memory_size: 34.41 KB, 0.00 B, …"""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} PB"


def _size(arrays) -> tuple[int, int]:
    """(number of values, bytes) of a list of arrays."""
    return (int(sum(np.size(a) for a in arrays)),
            int(sum(np.size(a) * np.asarray(a).dtype.itemsize for a in arrays)))


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(f"[color(45)]{d}[/]" if d is None else f"[color(34)]{d}[/]"
                           for d in shape) + ")"


def _layer_row(layer, output_shape) -> list[str]:
    name = (f"{rich.markup.escape(layer.name)} "
            f"([color(33)]{rich.markup.escape(type(layer).__name__)}[/])")
    params = f"[color(34)]{layer.count_params():,}[/]" if layer.built \
        else "[color(34)]0[/] (unbuilt)"
    return [name, _format_shape(output_shape), params]


def functional_connections(model) -> list[str] | None:
    """Per layer, Keras's "Connected to" text; None when the graph is a chain (Keras's
    sequential-like test: one node per depth reading at most one tensor, one call per layer)."""
    by_depth = model.nodes_by_depth
    chain = all(len(nodes) == 1 and len(nodes[0].input_tensors) <= 1
                for nodes in by_depth.values())
    if chain and all(len(model.layer_nodes(layer)) <= 1 for layer in model.layers):
        return None
    connections = []
    for layer in model.layers:
        parts = [f"{rich.markup.escape(t._keras_history.layer.name)}"
                 f"[[color(34)]{t._keras_history.node_index}[/]]"
                 f"[[color(34)]{t._keras_history.tensor_index}[/]]"
                 for node in model.layer_nodes(layer) for t in node.input_tensors]
        connections.append(", ".join(parts) or "-")
    return connections


def print_summary(model, line_length: int | None = None, positions=None, print_fn=None) -> None:
    """Print (or pass to ``print_fn`` as one string) the model's summary table."""
    connections = functional_connections(model) if hasattr(model, "nodes_by_depth") else None
    headers, justify = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    if connections is None:
        line_length = line_length or min(88, shutil.get_terminal_size().columns - 4)
        positions = positions or [0.45, 0.80, 1.0]
    else:
        line_length = line_length or min(108, shutil.get_terminal_size().columns - 4)
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        headers, justify = headers + ["Connected to"], justify + ["left"]
    widths, current = [], 0
    for p in positions:
        widths.append(int(p * line_length) - current)
        current += widths[-1]
    table = rich.table.Table(
        *[rich.table.Column(h, justify=j, width=w) for h, j, w in
          zip(headers, justify, widths)],
        width=line_length, show_lines=True)
    for i, (layer, shape) in enumerate(zip(model.layers, model.layer_output_shapes())):
        row = _layer_row(layer, shape)
        table.add_row(*(row if connections is None else row + [connections[i]]))

    trainable = _size(model.trainable_weights)
    frozen = _size(model.non_trainable_weights)
    optimizer = model.optimizer if model.compiled and model.optimizer.built else None
    opt = _size(optimizer.variables) if optimizer is not None else (0, 0)
    total = tuple(a + b + c for a, b, c in zip(trainable, frozen, opt))

    console = Console(highlight=False, force_terminal=False if print_fn else None,
                      color_system=None if print_fn else "auto")
    if print_fn:
        console.begin_capture()
    console.print(f'[bold]Model: "{rich.markup.escape(model.name)}"[/]')
    console.print(table)
    for label, (count, size) in (("Total", total), ("Trainable", trainable),
                                 ("Non-trainable", frozen)) + \
            ((("Optimizer", opt),) if optimizer is not None else ()):
        console.print(f"[bold] {label} params: [/][color(34)]{count:,}[/] "
                      f"({_readable_size(size)})")
    if print_fn:
        print_fn(console.end_capture())
