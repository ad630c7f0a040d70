"""The shared logic of callbacks that watch one logged quantity (Keras's MonitorCallback)."""

from __future__ import annotations

import operator
import warnings

from .callback import Callback


class MonitorCallback(Callback):
    """Decides whether ``logs[monitor]`` improved on the best value so far.

    mode 'min' or 'max', or 'auto': losses and error metrics go down, accuracies go up.
    An improvement must beat the best by more than ``min_delta``.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None,
                 min_delta: float = 0.0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', "
                             f"got {mode!r}")
        self.monitor, self.mode = monitor, mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def get_state(self):
        return {"best": self.best}

    def set_state(self, state):
        self.best = state["best"]

    def _set_monitor_op(self) -> None:
        if self.mode != "auto":
            self.monitor_op = operator.lt if self.mode == "min" else operator.gt
        else:
            self.monitor_op = _auto_direction(self.monitor, self.model)
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, value, reference) -> bool:
        if self.monitor_op is None:
            self._set_monitor_op()
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))

    def get_monitor_value(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__} is conditioned on {self.monitor!r}, which is "
                          f"not logged; available: {', '.join(logs or {})}", stacklevel=3)
        return value


def _auto_direction(monitor: str, model):
    name = monitor.removeprefix("val_")
    if name == "loss":
        return operator.lt
    for metric in getattr(model, "metrics", []):
        if metric.name == name:
            return operator.gt if metric.direction == "up" else operator.lt
    if "acc" in name:
        return operator.gt
    raise ValueError(f"cannot tell whether {monitor!r} should go up or down; "
                     f"pass mode='max' or mode='min'")
