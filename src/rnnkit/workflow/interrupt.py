"""Ctrl-C during training, taken where nothing is half-done."""

from __future__ import annotations

import signal
import threading

from ..callbacks import Callback


class DeferredInterrupt(Callback):
    """Turns the first SIGINT of a fit into a KeyboardInterrupt at the next batch or epoch end.

    Python raises KeyboardInterrupt wherever the interpreter happens to be: inside numba's
    unpickling of a compiled loop it surfaces as a SystemError, and halfway through writing the
    checkpoint it would leave work undone. Here the first SIGINT only sets a flag; the interrupt
    is raised from the next callback, between batches, after the epoch's checkpoint and history
    are written. A second SIGINT interrupts at once. Use it as a context manager around ``fit``
    (it restores the previous handler) and pass it as the last callback.
    """

    order = 2   # after every other callback, BackupAndRestore's backup included

    def __init__(self):
        super().__init__()
        self.pending = False
        self._previous = None

    def __enter__(self) -> "DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum, frame) -> None:
        if self.pending:
            raise KeyboardInterrupt
        self.pending = True

    def _raise_if_pending(self, *args, **kwargs) -> None:
        if self.pending:
            raise KeyboardInterrupt

    on_train_batch_end = on_test_batch_end = on_epoch_end = _raise_if_pending
