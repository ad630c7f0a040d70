"""ModelCheckpoint: save the model (or its weights) after epochs, optionally only the best."""

from __future__ import annotations

import os
import warnings

from .. import progress
from ..keras_options import KerasOptions
from .monitor import MonitorCallback

# Keras saves every N batches when save_freq is a number; rnnkit saves after epochs only.
_KERAS_ONLY = KerasOptions(defaults={"save_freq": "epoch"})


class ModelCheckpoint(MonitorCallback):
    """Save to ``filepath`` (which may hold ``{epoch:02d}`` or ``{val_loss:.2f}``) each epoch.

    ``save_best_only`` saves only when ``monitor`` improves, so the file holds the best epoch's
    model; a NaN value never counts as an improvement. Files are written atomically.
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        _KERAS_ONLY.check_all("ModelCheckpoint", save_freq=save_freq)
        # Keras 3's endings: .weights.h5 for weights; .keras or a legacy .h5 model file (not
        # .hdf5, which Keras's checkpoint refuses though model.save takes it)
        suffixes = (".weights.h5",) if save_weights_only else (".keras", ".h5")
        if not self.filepath.endswith(suffixes):
            kind = "weights file" if save_weights_only else "model file"
            raise ValueError(f"ModelCheckpoint: a {kind} path must end in "
                             f"{' or '.join(suffixes)}, got {self.filepath!r}")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if not self._should_save(epoch, logs, path):
            return
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)

    def _should_save(self, epoch, logs, path) -> bool:
        if not self.save_best_only:
            self._say(f"Epoch {epoch + 1}: saving model to {path}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ModelCheckpoint can save the best model only with {self.monitor!r} "
                          f"logged; saving every epoch", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            self._say(f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
            return True
        self._say(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _say(self, text: str) -> None:
        if self.verbose > 0:
            progress.message("\n" + text)
