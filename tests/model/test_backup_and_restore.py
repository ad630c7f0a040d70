"""BackupAndRestore in a Keras-style script: crash mid-fit, run the same fit again, and it ends
with the history and weights of a fit never interrupted — bit for bit on the NumPy engine."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import rnnkit
from rnnkit import callbacks, layers
from rnnkit.saving import backup
from rnnkit.saving.training_state import BackupWarning


class Crash(callbacks.Callback):
    """Raise at the start of epoch ``epoch``, or after the ``batch``-th batch of the whole fit."""

    def __init__(self, epoch=None, batch=None):
        super().__init__()
        self.epoch, self.batch, self.seen = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("crash")

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batch:
            raise RuntimeError("crash")


def _data():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 30, (90, 8))
    y = (np.isin(x, np.arange(1, 6)).sum(1) > 1).astype(int)
    return x[:60], y[:60], (x[60:], y[60:])


def _script(tmp_path, extra=(), save_freq="epoch", engine="numpy", epochs=10, backup_dir=True,
            monitors=True, **engine_options):
    """The same script each time: seed, model, callbacks, fit. Returns (model, history, ckpt)."""
    rnnkit.set_random_seed(7)
    model = rnnkit.Sequential([
        rnnkit.Input((8,)), layers.Embedding(30, 8),
        layers.Bidirectional(layers.GRU(5, dropout=0.2, recurrent_dropout=0.3,
                                        return_sequences=True)),
        layers.LSTM(4, dropout=0.1), layers.Dropout(0.3), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"], engine=engine, **engine_options)
    x, y, val = _data()
    checkpoint = tmp_path / "best.keras"
    cbs = [callbacks.EarlyStopping(patience=4, restore_best_weights=True),
           callbacks.ReduceLROnPlateau(patience=1, factor=0.5),
           callbacks.ModelCheckpoint(str(checkpoint), save_best_only=True)] if monitors else []
    if backup_dir:
        cbs.append(callbacks.BackupAndRestore(tmp_path / "backup", save_freq=save_freq))
    history = model.fit(x, y, epochs=epochs, batch_size=8, validation_data=val, verbose=0,
                        callbacks=cbs + list(extra))
    return model, history, checkpoint


def _crash_then_rerun(tmp_path, crash, **kwargs):
    with pytest.raises(RuntimeError, match="crash"):
        _script(tmp_path, [crash], **kwargs)
    assert backup.numbered(tmp_path / "backup"), "the crashed fit left no backup"
    return _script(tmp_path, **kwargs)


def assert_same_training(resumed, reference):
    (model, history, ckpt), (ref_model, ref_history, ref_ckpt) = resumed, reference
    assert history.history == ref_history.history and history.epoch == ref_history.epoch
    for a, b in zip(model.get_weights(), ref_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, ref_model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a, b)         # iterations, learning rate, every slot
    saved, ref_saved = rnnkit.models.load_model(ckpt), rnnkit.models.load_model(ref_ckpt)
    for a, b in zip(saved.get_weights(), ref_saved.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return _script(tmp_path_factory.mktemp("reference"), backup_dir=False)


@pytest.mark.parametrize("save_freq, crash", [
    ("epoch", Crash(epoch=3)),          # between epochs
    (3, Crash(batch=17)),               # backed up at batch 15 (epoch 2, batch 7 of 8): mid-epoch
    (4, Crash(batch=41)),               # backed up after the last batch of epoch 5, before its end
])
def test_the_same_fit_rerun_after_a_crash_ends_as_if_never_interrupted(tmp_path, reference,
                                                                       save_freq, crash):
    resumed = _crash_then_rerun(tmp_path, crash, save_freq=save_freq)
    # the reference stopped early and restored its best weights: so must the resumed fit
    assert len(reference[1].epoch) < 10 and reference[1].history["learning_rate"][-1] < 0.05
    assert_same_training(resumed, reference)
    assert not (tmp_path / "backup").exists()       # delete_checkpoint=True: removed at the end


def test_a_fit_crashed_twice_still_ends_the_same(tmp_path, reference):
    with pytest.raises(RuntimeError):           # backed up at batches 4, 8, 12 (8 an epoch)
        _script(tmp_path, [Crash(batch=15)], save_freq=4)
    with pytest.raises(RuntimeError):           # resumed at 12, backed up at 16, crashed at 18
        _script(tmp_path, [Crash(batch=6)], save_freq=4)
    newest = backup.read(backup.numbered(tmp_path / "backup")[0])
    assert newest.sequence == 4 and (newest.state["loop"]["epoch"],
                                     newest.state["loop"]["step"]) == (1, 8)
    assert_same_training(_script(tmp_path, save_freq=4), reference)


def test_a_fit_stopped_early_and_killed_before_its_end_does_not_train_on(tmp_path, reference):
    """The last backup was taken as EarlyStopping stopped the fit: re-running ends at once."""
    class DieAtTrainEnd(callbacks.Callback):
        def on_train_end(self, logs=None):
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        _script(tmp_path, [DieAtTrainEnd()], backup_dir=True)
    stopped = backup.newest_intact(tmp_path / "backup")[0].state["loop"]
    assert stopped["stop_training"]
    assert_same_training(_script(tmp_path), reference)


def test_backups_keep_the_previous_one_and_are_numbered(tmp_path):
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(epoch=4)])
    names = [p.name for p in backup.numbered(tmp_path / "backup")]
    assert names == ["backup-000004.zip", "backup-000003.zip"]
    with zipfile.ZipFile(tmp_path / "backup" / names[0]) as zf:
        assert sorted(zf.namelist()) == ["arrays.npz", "manifest.json", "model.weights.h5",
                                         "state.json"]
        state = json.loads(zf.read("state.json"))
    assert state["loop"]["epoch"] == 4 and state["loop"]["step"] == 0
    assert set(state["random"]["layers"]) == {      # Embedding, Bidirectional's, LSTM, Dropout …
        "layers/0/rng", "layers/1/rng", "layers/1/forward_layer/rng",
        "layers/1/backward_layer/rng", "layers/2/rng", "layers/3/rng", "layers/4/rng"}
    assert set(state["callbacks"]) == {"EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint",
                                       "History"}


def test_delete_checkpoint_false_keeps_the_last_backup(tmp_path):
    rnnkit.set_random_seed(1)
    model = rnnkit.Sequential([rnnkit.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    keep = callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    model.fit(np.ones((4, 3)), np.ones(4), epochs=2, verbose=0, callbacks=[keep])
    (last,) = backup.numbered(tmp_path / "b")[:1]
    assert backup.read(last).state["loop"]["epoch"] == 2
    history = model.fit(np.ones((4, 3)), np.ones(4), epochs=2, verbose=0, callbacks=[keep])
    assert history.epoch == [0, 1] and keep.restored.sequence == 2   # nothing left to train


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "batch", None])
def test_save_freq_must_be_epoch_or_a_positive_count(value):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive number"):
        callbacks.BackupAndRestore("b", save_freq=value)
    with pytest.raises(ValueError, match="backup_dir is empty"):
        callbacks.BackupAndRestore("")


# ---- damaged backups ---------------------------------------------------------------------------
def _two_backups(tmp_path):
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(epoch=3)])
    newest, older = backup.numbered(tmp_path / "backup")
    return newest, older


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_in_weights(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("model.weights.h5")
    at = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[at] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _flip_in_weights])
def test_a_damaged_newest_backup_is_reported_and_the_one_before_used(tmp_path, reference, damage):
    newest, _ = _two_backups(tmp_path)
    damage(newest)
    with pytest.raises(backup.BackupError):
        backup.read(newest)
    with pytest.warns(BackupWarning, match=rf"{newest.name}.*continuing from an older backup"):
        resumed = _script(tmp_path)
    assert_same_training(resumed, reference)        # one epoch more to redo, same result


def test_every_backup_damaged_is_one_line_and_nothing_is_loaded(tmp_path):
    newest, older = _two_backups(tmp_path)
    _flip_in_weights(newest)
    _truncate(older)
    with pytest.raises(backup.BackupError) as caught:
        _script(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and "holds no intact backup" in message
    assert newest.name in message and older.name in message


def test_any_flipped_byte_is_caught_or_harmless(tmp_path):
    """Flip each byte of an archive in turn: it is refused, or what it yields is unchanged."""
    newest, _ = _two_backups(tmp_path)
    good = backup.read(newest)
    original = newest.read_bytes()
    refused = 0
    for at in range(0, len(original), max(1, len(original) // 400)):
        damaged = bytearray(original)
        damaged[at] ^= 0xFF
        newest.write_bytes(bytes(damaged))
        try:
            got = backup.read(newest)
        except backup.BackupError:
            refused += 1
            continue
        assert got.weights == good.weights and got.sequence == good.sequence
        assert json.dumps(got.state, default=str) == json.dumps(good.state, default=str)
    assert refused > 300


def test_the_checksum_is_what_catches_a_consistent_zip_with_other_bytes(tmp_path):
    """A zip rewritten with valid CRCs but other weights passes zipfile; the manifest does not."""
    newest, _ = _two_backups(tmp_path)
    with zipfile.ZipFile(newest) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    weights = bytearray(members["model.weights.h5"])
    weights[len(weights) // 2] ^= 0x01
    members["model.weights.h5"] = bytes(weights)
    with zipfile.ZipFile(newest, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(backup.BackupError, match="model.weights.h5 does not match its checksum"):
        backup.read(newest)


def test_a_backup_of_another_model_is_refused_before_anything_changes(tmp_path):
    _two_backups(tmp_path)
    rnnkit.set_random_seed(3)
    other = rnnkit.Sequential([rnnkit.Input((8,)), layers.Embedding(30, 8), layers.GRU(5),
                               layers.Dense(1, activation="sigmoid")])
    other.compile("adam", "binary_crossentropy")
    before = other.get_weights()
    x, y, _ = _data()
    with pytest.raises(ValueError, match="made by another model"):
        other.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")])
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_a_callback_state_that_is_not_json_or_arrays_is_refused(tmp_path):
    class Opaque(callbacks.Callback):
        def get_state(self):
            return {"thing": object()}

    rnnkit.set_random_seed(1)
    model = rnnkit.Sequential([rnnkit.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match=r"state.callbacks.Opaque.thing: object values cannot be"):
        model.fit(np.ones((4, 3)), np.ones(4), epochs=1, verbose=0,
                  callbacks=[Opaque(), callbacks.BackupAndRestore(tmp_path / "b")])
    with pytest.raises(TypeError, match="array of Python objects"):
        backup.write(tmp_path / "c", 1, {"a": np.array([object()])}, b"")


def test_backups_never_unpickle(tmp_path, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling")

    newest, _ = _two_backups(tmp_path)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    assert backup.read(newest).state["callbacks"]["EarlyStopping"]["best_weights"]


def test_callbacks_other_than_the_backed_up_fits_start_afresh_with_a_warning(tmp_path):
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(epoch=2)])
    with pytest.warns(BackupWarning, match="callbacks differ"):
        _script(tmp_path, monitors=False, epochs=3)


class Draws(callbacks.Callback):
    """User code drawing from NumPy's and Python's global generators at every epoch."""

    def __init__(self, sink):
        super().__init__()
        self.sink = sink

    def on_epoch_begin(self, epoch, logs=None):
        import random
        self.sink[epoch] = (np.random.random(), random.random())


def test_code_drawing_from_the_global_generators_continues_their_streams(tmp_path):
    reference, resumed = {}, {}
    _script(tmp_path / "reference", [Draws(reference)], backup_dir=False, epochs=4,
            monitors=False)
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Draws(resumed), Crash(epoch=2)], epochs=4, monitors=False)
    _script(tmp_path, [Draws(resumed)], epochs=4, monitors=False)
    assert resumed == reference


def test_no_warning_when_the_backup_is_fine(tmp_path):
    with pytest.raises(RuntimeError):
        _script(tmp_path, [Crash(epoch=2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackupWarning)
        _script(tmp_path, epochs=3)


def test_backups_are_flushed_to_the_disk_before_they_are_named(tmp_path, monkeypatch):
    """fsync the archive, rename it into place, fsync the folder: a power cut after the rename
    cannot leave a name pointing at bytes never written."""
    import os
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append(("fsync", os.readlink(
        f"/proc/self/fd/{fd}"))) or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append(("replace", str(b)))
                        or real_replace(a, b))
    path = backup.write(tmp_path, 1, {"x": 1}, b"weights")
    kinds = [(kind, Path(target).name) for kind, target in calls]
    assert kinds == [("fsync", kinds[0][1]), ("replace", path.name), ("fsync", tmp_path.name)]
    assert kinds[0][1].startswith(".backup-000001.zip.") and kinds[0][1].endswith(".tmp")


def test_an_injected_full_disk_leaves_the_old_file_and_names_the_path(tmp_path, monkeypatch):
    import errno

    from rnnkit.atomic import atomic_write_bytes
    target = tmp_path / "model.keras"
    target.write_bytes(b"old")
    monkeypatch.setenv("RNNKIT_FAULT", "enospc:write:model.keras@1")
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(target, b"new")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == [
        "model.keras"]


SCRIPT = '''
import json, sys
import numpy as np
import rnnkit as keras
from rnnkit import layers

backup_dir, out, crash_at = sys.argv[1], sys.argv[2], int(sys.argv[3])


class InterruptingCallback(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == crash_at:
            raise RuntimeError("Interrupting!")


keras.utils.set_random_seed(42)
rng = np.random.default_rng(0)
x = rng.integers(1, 20, (64, 6))
y = (x[:, 0] > 10).astype(int)
model = keras.Sequential([keras.Input((6,)), layers.Embedding(20, 8),
                          layers.LSTM(8, dropout=0.2, recurrent_dropout=0.2),
                          layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
callbacks = [keras.callbacks.BackupAndRestore(backup_dir=backup_dir), InterruptingCallback()]
history = model.fit(x, y, epochs=6, batch_size=8, validation_split=0.25, verbose=0,
                    callbacks=callbacks)
np.savez(out, *model.get_weights())
print(json.dumps(history.history))
'''


def test_a_keras_style_script_crashed_and_run_again_equals_one_never_interrupted(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)

    def run(backup_dir, out, crash_at):
        return subprocess.run([sys.executable, str(script), str(tmp_path / backup_dir),
                               str(tmp_path / out), str(crash_at)],
                              capture_output=True, text=True, timeout=300, check=False)

    whole = run("b0", "whole.npz", -1)
    assert whole.returncode == 0, whole.stderr
    crashed = run("b1", "crashed.npz", 3)
    assert crashed.returncode != 0 and "Interrupting!" in crashed.stderr
    again = run("b1", "again.npz", -1)               # the same script, run again
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(whole.stdout)       # all 6 epochs
    with np.load(tmp_path / "whole.npz") as a, np.load(tmp_path / "again.npz") as b:
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    assert not (tmp_path / "b1").exists()
