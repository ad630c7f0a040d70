"""Resuming on the torch engine: a crashed fit re-run with BackupAndRestore ends as uninterrupted —
on the CPU bit for bit (measured here; the claim is for one machine and its thread counts). The
killed DDP run (`--nproc 2`) is in tests/workflow/test_resume.py."""

from __future__ import annotations

import numpy as np
import pytest

import rnnkit
from rnnkit import callbacks, layers
from rnnkit.saving import backup
from rnnkit.saving.training_state import BackupWarning

pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings(
    "ignore::rnnkit.engines.torch_engine.recurrent.CudnnOffNotice")     # recurrent dropout


class Crash(callbacks.Callback):
    def __init__(self, batch):
        super().__init__()
        self.batch, self.seen = batch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batch:
            raise RuntimeError("crash")


def _script(tmp_path, extra=(), engine="torch", backup_dir=True, **options):
    rnnkit.set_random_seed(11)
    rng = np.random.default_rng(5)
    x = rng.integers(1, 30, (72, 8))
    y = (np.isin(x, np.arange(1, 6)).sum(1) > 1).astype(int)
    model = rnnkit.Sequential([
        rnnkit.Input((8,)), layers.Embedding(30, 8),
        layers.GRU(6, dropout=0.2, recurrent_dropout=0.2), layers.Dropout(0.3),
        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.RMSprop(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"], engine=engine, **options)
    cbs = [callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5)]
    if backup_dir:
        cbs.append(callbacks.BackupAndRestore(tmp_path / "backup", save_freq=5))
    history = model.fit(x[:48], y[:48], epochs=6, batch_size=8, validation_data=(x[48:], y[48:]),
                        verbose=0, callbacks=cbs + list(extra))
    return model, history


@pytest.mark.parametrize("options", [{"device": "cpu"},
                                     {"device": "cpu", "dropout_masks": "torch", "seed": 3}])
def test_a_crashed_torch_fit_rerun_ends_bit_for_bit_as_uninterrupted(tmp_path, options):
    reference, ref_history = _script(tmp_path / "ref", backup_dir=False, **options)
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(batch=17)], **options)   # backed up at batch 15: mid-epoch 3
    model, history = _script(tmp_path, **options)
    assert history.history == ref_history.history
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, reference.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)


def test_torch_masks_generator_is_part_of_the_backup(tmp_path):
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(batch=7)], device="cpu", dropout_masks="torch", seed=3)
    (newest, *_) = backup.numbered(tmp_path / "backup")
    assert set(backup.read(newest).state["random"]["engine"]) == {"torch_masks"}


def test_a_numpy_backup_continued_on_torch_warns_and_agrees_to_rounding(tmp_path):
    reference, _ = _script(tmp_path / "ref", engine="numpy", backup_dir=False)
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(batch=17)], engine="numpy")
    with pytest.warns(BackupWarning, match="made on the numpy engine and this fit runs on torch"):
        model, _ = _script(tmp_path, device="cpu")
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
