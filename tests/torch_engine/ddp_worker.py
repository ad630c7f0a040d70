"""One process of the DDP test: train a small masked model on global batches, report weights.

Usage: python ddp_worker.py OUT_DIR  (under launch(nproc=N) or alone). Every rank prints one
line ``RANK <r> WEIGHTS <sum of |w|> LOSS <last loss> READY <bool>``; rank 0 also saves the weights to
OUT_DIR/weights_<world>.npz. At exit, after rnnkit's own exit hook, every rank prints
``EXIT <r> initialized=<bool> held=<n>``: whether the process group is still up and how many
collective tensors rnnkit still holds (both must be gone before the interpreter finalizes).
Files written through rnnkit (checkpoint, CSV log) carry the rank in their name, so the test
can tell that rank 0 alone wrote them.
"""

import atexit
import os
import sys
from pathlib import Path

import numpy as np


def say(line: str) -> None:
    """One line in one write: the ranks share stdout, and print's separate writes interleave."""
    os.write(1, (line + "\n").encode())


def report_teardown():
    """Runs after rnnkit's exit hook (atexit is last-in, first-out): was the group torn down?"""
    from rnnkit.engines.torch_engine import distributed

    say(f"EXIT {rank()} initialized={distributed.dist.is_initialized()} "
        f"held={len(distributed._IN_FLIGHT)}")


atexit.register(report_teardown)

import rnnkit  # noqa: E402
from rnnkit import layers as L  # noqa: E402
from rnnkit.engines.process_rank import is_writer, rank  # noqa: E402

out = Path(sys.argv[1])
N, T, VOCAB, BATCH = 20, 7, 30, 7     # batches of 7, 7, 6: uneven splits over 2 ranks

rng = np.random.default_rng(0)
x = rng.integers(1, VOCAB, (N, T))
for i, n in enumerate(rng.integers(2, T + 1, N)):
    x[i, :T - n] = 0                  # pre-padded
y = rng.integers(0, 2, N).astype(np.float32)

rnnkit.set_random_seed(1)
model = rnnkit.Sequential([rnnkit.Input((T,), dtype="int32"), L.Embedding(VOCAB, 5, mask_zero=True),
                           L.LSTM(4, return_sequences=True, dropout=0.2, recurrent_dropout=0.2),
                           L.Bidirectional(L.GRU(3)), L.Dropout(0.3),
                           L.Dense(1, activation="sigmoid")])
model.compile(optimizer=rnnkit.optimizers.Adam(0.01), loss="binary_crossentropy",
              metrics=["accuracy"], engine="torch", device="cpu")


class ReadyAtFirstEpoch(rnnkit.callbacks.Callback):
    """Was the engine's network (and, on 2 ranks, DDP's wrapper, whose constructor waits for
    every rank) built before epoch 1 began, so that start-up is not counted as its time?"""

    ready = None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 0:
            module = self.model.engine.module
            wrapped = type(module).__name__ == "DistributedDataParallel"
            type(self).ready = module is not None and wrapped == (
                os.environ.get("WORLD_SIZE", "1") != "1")


callbacks = [rnnkit.callbacks.ModelCheckpoint(str(out / f"ckpt_rank{rank()}.keras")),
             rnnkit.callbacks.CSVLogger(str(out / f"log_rank{rank()}.csv"))] + [ReadyAtFirstEpoch()]
history = model.fit(x, y, batch_size=BATCH, epochs=2, callbacks=callbacks, verbose=0)
weights = model.get_weights()
say(f"RANK {rank()} WEIGHTS {sum(float(np.abs(w).sum()) for w in weights):.9f} "
    f"LOSS {history.history['loss'][-1]:.9f} READY {ReadyAtFirstEpoch.ready}")
if is_writer():
    np.savez(out / f"weights_{os.environ.get('WORLD_SIZE', '1')}.npz", *weights)
