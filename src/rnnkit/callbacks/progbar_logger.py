"""ProgbarLogger: the progress line of fit, evaluate and predict (added when verbose ≠ 0)."""

from __future__ import annotations

from .. import progress
from .callback import Callback


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n`` and one progress line per epoch; validation inside fit is silent."""

    def __init__(self):
        super().__init__()
        self.bar = None
        self.seen = 0
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self):
        self.seen = 0
        self.bar = progress.ProgressBar(self.target, verbose=self.verbose)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._start()
        if self.verbose and self.epochs > 1:
            progress.message(f"Epoch {epoch + 1}/{self.epochs}")

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start()

    def on_predict_begin(self, logs=None):
        self._start()

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finish(logs)

    def on_predict_end(self, logs=None):
        self._finish(logs)

    def _update(self, batch, logs):
        self.seen = batch + 1
        self.bar.update(self.seen, logs)

    def _finish(self, logs):
        self.bar.update(self.target or self.seen, logs, finalize=True)
