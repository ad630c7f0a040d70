"""CSVLogger: one row per epoch with every logged value."""

from __future__ import annotations

import csv
import os

from ..engines.process_rank import is_writer
from .callback import Callback


class CSVLogger(Callback):
    """Write ``epoch`` and the sorted log keys to ``filename`` (``append`` to continue a run)."""

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, bool(append)
        self.keys = None
        self.writer = None
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if not is_writer():  # data-parallel run: rank 0 alone writes files
            return
        write_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                write_header = not f.readline()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self._write_header = write_header
        self.keys, self.writer = None, None

    def on_epoch_end(self, epoch, logs=None):
        if self.csv_file is None:
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]  # Keras's columns for later epochs
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.sep)
            if self._write_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
