"""Keras's progress line, drawn with rich.

    313/313 ━━━━━━━━━━━━━━━━━━━━ 2s 7ms/step - accuracy: 0.8812 - loss: 0.2923

On a terminal the line redraws in place (carriage return, cropped to the terminal's width) while
batches run. Anywhere else (a notebook, a log file, CI, a pipe) only the finished line of each
epoch is printed, without colour codes or carriage returns, so logs stay readable.
``verbose=2`` prints one plain line per epoch.
"""

from __future__ import annotations

import math
import time

from rich.console import Console
from rich.text import Text

_REFRESH_SECONDS = 0.05  # Keras's Progbar interval


def message(text: str) -> None:
    """Print a line the way Keras's io_utils.print_msg does (above any live progress line)."""
    print(text, flush=True)


def format_value(value) -> str:
    """Keras's number format: 4 decimals, or scientific notation for tiny magnitudes."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


def format_time_per_step(seconds: float, unit: str = "step") -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def format_duration(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


class ProgressBar:
    """One epoch's (or one evaluate/predict call's) progress line.

    ``update(current, logs)`` after each step; ``update(target, logs, finalize=True)`` at the end.
    """

    def __init__(self, target: int | None, verbose: int = 1, width: int = 20,
                 unit_name: str = "step", console: Console | None = None):
        self.target, self.verbose, self.width, self.unit_name = target, verbose, width, unit_name
        self.console = console or Console(highlight=False)
        self.dynamic = self.console.is_terminal and not self.console.is_jupyter
        self._start = time.perf_counter()
        self._after_first_step = None
        self._last_draw = 0.0

    # ---- timing (Keras's _estimate_step_duration) ------------------------------------------------
    def _time_per_step(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        if self._after_first_step is not None and current > 1:
            per_step = (now - self._after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._after_first_step = now
        return per_step

    # ---- drawing ------------------------------------------------------------------------------------
    def update(self, current: int, logs: dict | None = None, finalize: bool = False) -> None:
        now = time.perf_counter()
        per_step = self._time_per_step(current, now)
        if self.verbose == 2:
            if finalize:
                self._print_plain(current, logs, now, per_step)
            return
        if self.verbose != 1:
            return
        if not finalize and (not self.dynamic or now - self._last_draw < _REFRESH_SECONDS):
            return
        self._last_draw = now
        line = self._line(current, logs, now, per_step, finalize)
        if not self.dynamic:
            self.console.print(line, soft_wrap=True)
            return
        # Redraw in place: blank out the previous draw, and keep in-progress draws to one
        # physical line so the carriage return reaches their start.
        line.pad_right(max(0, self.console.width - 1 - len(line)))
        if finalize:
            self.console.print(line, soft_wrap=True)
        else:
            self.console.print(line, no_wrap=True, overflow="ellipsis", crop=True, end="\r")

    def _line(self, current, logs, now, per_step, finalize) -> Text:
        text = Text()
        if self.target:
            digits = int(math.log10(self.target)) + 1
            text.append(f"{current:>{digits}d}/{self.target}", style="bold")
            done = int(self.width * current / self.target)
            text.append(" ")
            text.append("━" * done, style="green")
            text.append("━" * (self.width - done), style="bright_black")
        else:
            text.append(f"{current:7d}/Unknown")
        elapsed = now - self._start
        remaining = per_step * (self.target - current) if self.target and not finalize else None
        text.append(" ")
        text.append(format_duration(elapsed if remaining is None else remaining), style="bold")
        text.append(" " + format_time_per_step(per_step, self.unit_name))
        text.append(_format_logs(logs))
        return text

    def _print_plain(self, current, logs, now, per_step) -> None:
        count = f"{current}/{self.target}" if self.target else f"{current}"
        self.console.print(f"{count} - {now - self._start:.0f}s - "
                           f"{format_time_per_step(per_step, self.unit_name)}{_format_logs(logs)}",
                           soft_wrap=True, markup=False)


def _format_logs(logs: dict | None) -> str:
    return "".join(f" - {k}: {format_value(v)}" for k, v in (logs or {}).items())
