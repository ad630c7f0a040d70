"""TerminateOnNaN: stop cleanly at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import math

from .. import progress
from .callback import Callback


class TerminateOnNaN(Callback):
    """Sets ``model.stop_training``; the epoch ends, callbacks run ``on_train_end`` as usual.

    With ``raise_error=True`` it raises instead (skipping the other callbacks' cleanup).
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}: loss={loss}")
        progress.message(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
