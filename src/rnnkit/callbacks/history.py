"""History: every epoch's logs, as ``fit`` returns them."""

from __future__ import annotations

from .callback import Callback


class History(Callback):
    """``history.history['val_loss']`` is the list of each epoch's validation loss."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.model.history = self

    def get_state(self):
        return {"history": self.history, "epoch": self.epoch}

    def set_state(self, state):
        self.history = {key: list(values) for key, values in state["history"].items()}
        self.epoch = list(state["epoch"])

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
