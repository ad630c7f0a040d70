"""BackupAndRestore: back a fit up as it runs; the same fit, run again after a crash, continues.

Keras 3's callback, with Keras's arguments and lifecycle: ``on_train_begin`` restores the newest
backup in ``backup_dir`` if there is one, a backup is written at every epoch's end
(``save_freq="epoch"``) or every ``save_freq`` batches, and ``on_train_end`` deletes the backups
(``delete_checkpoint=True``). What rnnkit adds, so that the continued fit ends with the weights an
uninterrupted fit would have, bit for bit on the NumPy engine:

* the backup holds everything training depends on (saving/training_state.py): weights, optimizer
  variables, every random generator, the loop's position — inside an epoch too: the batch order is
  drawn again and training continues at the next batch, where Keras restarts the epoch —, the
  epoch's metric sums and the other callbacks' state (``Callback.get_state``), History included,
  so the ``History`` the resumed fit returns holds every epoch (Keras's holds the new ones only);
* its hooks run after every other callback's (``order = 1``), so an epoch's backup includes what
  EarlyStopping, ReduceLROnPlateau or ModelCheckpoint decided at that epoch's end;
* backups are checksummed archives written atomically, and the previous one is kept
  (saving/backup.py): a damaged newest backup is reported and the one before it used, so
  ``double_checkpoint`` is always on and the argument is accepted for Keras's signature.

In a data-parallel run only rank 0 writes; every rank restores from the same files.
"""

from __future__ import annotations

import os
import warnings

from ..engines.process_rank import is_writer
from .callback import Callback


class BackupAndRestore(Callback):
    """``BackupAndRestore("backups/run1")``: pass it to the same ``fit`` call before and after
    an interruption (``save_freq``: "epoch" or a number of batches)."""

    order = 1

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is empty; pass the folder for the "
                             "backups")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive number "
                             f"of batches, got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)   # always on: see the module's notes
        self.delete_checkpoint = bool(delete_checkpoint)
        #: the backup the last fit continued from (a saving.backup.Backup), or None
        self.restored = None
        self._batches_since_save = 0
        self._sequence = None

    def on_train_begin(self, logs=None):
        from ..saving import backup, training_state
        self._batches_since_save = 0
        found, problems = backup.newest_intact(self.backup_dir)
        for problem in problems:
            warnings.warn(f"{problem}; continuing from an older backup",
                          training_state.BackupWarning, stacklevel=3)
        self.restored = found
        self._sequence = found.sequence if found else None
        if found is not None:
            training_state.apply(self.model, found.state, found.weights, str(found.path))

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(at_epoch_end=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(at_epoch_end=True)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and is_writer():
            from ..saving import backup
            backup.remove_all(self.backup_dir)

    def _save(self, at_epoch_end: bool) -> None:
        if not is_writer():             # data-parallel run: rank 0 alone writes files
            return
        from ..saving import backup, training_state
        if self._sequence is None:      # number on from any backup already there, damaged or not
            existing = backup.numbered(self.backup_dir)
            self._sequence = backup.sequence_of(existing[0]) if existing else 0
        state, weights = training_state.capture(self.model, at_epoch_end)
        backup.write(self.backup_dir, self._sequence + 1, state, weights)
        self._sequence += 1
