"""ReduceLROnPlateau: multiply the learning rate by ``factor`` when progress stalls."""

from __future__ import annotations

import numpy as np

from .. import progress
from .monitor import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """After ``patience`` epochs without improvement, lr ← max(lr·factor, min_lr).

    Logs the current rate as ``learning_rate`` each epoch, as Keras does.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau needs factor < 1.0, got {factor}")
        self.factor, self.patience, self.verbose = factor, int(patience), verbose
        self.cooldown, self.min_lr = int(cooldown), min_lr
        self._reset()

    def _reset(self):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def on_train_begin(self, logs=None):
        self._reset()

    def get_state(self):
        # the learning rate itself is the optimizer's, saved with it
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def set_state(self, state):
        self.best, self.wait = state["best"], state["wait"]
        self.cooldown_counter = state["cooldown_counter"]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = optimizer.learning_rate
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, optimizer, epoch) -> bool:
        old = optimizer.learning_rate
        if old <= np.float32(self.min_lr):
            return False
        new = max(old * self.factor, self.min_lr)
        optimizer.learning_rate = new
        if self.verbose > 0:
            progress.message(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                             f"to {new}.")
        return True
