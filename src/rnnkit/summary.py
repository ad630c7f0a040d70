"""``model.summary()``: Keras 3's table, drawn with rich the way Keras draws it.

Columns at 45 % / 80 % / 100 % of 88 characters (or the terminal's width − 4), a row per layer
with its name (type), output shape and parameter count, then the totals. Once the optimizer has
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


def print_summary(model, line_length: int | None = None, positions=None, print_fn=None) -> None:
    """Print (or pass to ``print_fn`` as one string) the model's summary table."""
    line_length = line_length or min(88, shutil.get_terminal_size().columns - 4)
    positions = positions or [0.45, 0.80, 1.0]
    widths, current = [], 0
    for p in positions:
        widths.append(int(p * line_length) - current)
        current += widths[-1]
    table = rich.table.Table(
        *[rich.table.Column(h, justify=j, width=w) for h, j, w in
          zip(("Layer (type)", "Output Shape", "Param #"), ("left", "left", "right"), widths)],
        width=line_length, show_lines=True)
    for layer, shape in zip(model.layers, model.layer_output_shapes()):
        table.add_row(*_layer_row(layer, shape))

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
