"""LearningRateScheduler: set the optimizer's learning rate at the start of every epoch."""

from __future__ import annotations

import numpy as np

from .. import progress
from .callback import Callback


class LearningRateScheduler(Callback):
    """``schedule(epoch, lr) -> new lr`` (or ``schedule(epoch)``), called in
    ``on_epoch_begin``; the rate in use is logged as ``learning_rate`` at each epoch's end,
    as Keras does (History records it)."""

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a function schedule(epoch, lr), "
                            f"got {schedule!r}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:                    # Keras's order: the two-argument form first, then (epoch)
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):  # an int too, as Keras
            message = (f"LearningRateScheduler: the schedule must return a float, got "
                       f"{learning_rate!r} for epoch {epoch}")
            raise ValueError(message)  # noqa: TRY004 (Keras's ValueError)
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            progress.message(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning "
                             f"rate to {learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
