"""Memory task: recall the digit that followed a marker `lag` tokens ago.

Each sequence is random digits (token ids 2…11 for digits 0…9) with one marker (id 1) after
ten digits; the label is whether the digit right after the marker is ≥ 5, and `lag` more digits
follow it. The digit to recall looks exactly like the distractors, so no embedding can silence
them: the network has to latch the one digit after the marker and keep it for `lag` steps while
equally loud inputs arrive at every step (a "noisy latch", Bengio, Simard & Frasconi, 1994).

Every cell gets the same model and the same search: Embedding(12, 8) → <cell>(--units) →
Dense(1, sigmoid), Adam(lr, clipnorm=1) for each (lr, batch size) in --configs, at most --epochs
epochs with EarlyStopping on val_accuracy (patience --patience), stopping once --target is
reached. The table shows each cell's best validation accuracy over the configs, and which config
and how many epochs gave it. Chance is 0.50. Not a timed test: seconds are for scale only.

    python benchmarks/bench_memory_task.py                      # lags 10 25 50 100
    python benchmarks/bench_memory_task.py --lags 50 --configs 0.001:16 --cells LSTM
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rnnkit
from rnnkit import layers

VOCAB = 12               # 0: unused, 1: the marker, 2…11: digits 0…9
MARKER, PREFIX = 1, 10   # the marker sits after PREFIX random digits
CELLS = ("SimpleRNN", "LSTM", "GRU")


def make_data(n: int, lag: int, rng: np.random.Generator):
    """(x, y): digits with a marker at PREFIX; y = (digit after the marker ≥ 5)."""
    x = rng.integers(2, VOCAB, (n, PREFIX + 2 + lag))
    x[:, PREFIX] = MARKER
    return x.astype(np.int32), (x[:, PREFIX + 1] - 2 >= 5).astype(np.int32)


def run(cell: str, lag: int, lr: float, batch_size: int, args) -> tuple[float, int, float]:
    """(best validation accuracy, epochs run, seconds) for one cell, lag and config."""
    rnnkit.set_random_seed(args.seed)
    rng = rnnkit.random.make_rng(args.seed)
    x, y = make_data(args.train, lag, rng)
    x_val, y_val = make_data(args.val, lag, rng)
    model = rnnkit.Sequential([rnnkit.Input((PREFIX + 2 + lag,)), layers.Embedding(VOCAB, 8),
                               getattr(layers, cell)(args.units),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(lr, clipnorm=1.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    stop = rnnkit.callbacks.EarlyStopping(monitor="val_accuracy", patience=args.patience,
                                          restore_best_weights=True)

    class Solved(rnnkit.callbacks.Callback):
        """Stop once validation accuracy reaches --target: the task is then solved."""

        def on_epoch_end(self, epoch, logs=None):
            if logs["val_accuracy"] >= args.target:
                self.model.stop_training = True

    start = time.perf_counter()
    history = model.fit(x, y, epochs=args.epochs, batch_size=batch_size,
                        validation_data=(x_val, y_val), callbacks=[stop, Solved()], verbose=0)
    return (max(history.history["val_accuracy"]), len(history.history["loss"]),
            time.perf_counter() - start)


def best_over_configs(cell: str, lag: int, args) -> str:
    """The table cell: best accuracy over --configs, with its config, epochs and total time."""
    best, total = None, 0.0
    for lr, batch_size in args.configs:
        accuracy, epochs, seconds = run(cell, lag, lr, batch_size, args)
        total += seconds
        if best is None or accuracy > best[0]:
            best = (accuracy, lr, batch_size, epochs)
        if accuracy >= args.target:
            break  # solved: further configs cannot do better
    accuracy, lr, batch_size, epochs = best
    return f"{accuracy:5.3f} ({lr:g}/{batch_size}, {epochs:2d} ep, {total:4.0f}s)"


def _config(text: str) -> tuple[float, int]:
    lr, batch = text.split(":")
    return float(lr), int(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lags", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--configs", type=_config, nargs="+",
                        default=[(0.001, 16), (0.003, 64), (0.01, 64)],
                        help="learning_rate:batch_size pairs each cell may use (best reported)")
    parser.add_argument("--train", type=int, default=10000)
    parser.add_argument("--val", type=int, default=1000)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--patience", type=int, default=15)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    configs = ", ".join(f"{lr:g}/{b}" for lr, b in args.configs)
    print(f"noisy latch: {args.train} train / {args.val} val sequences, {args.units} units, "
          f"Adam lr/batch in {{{configs}}}, ≤{args.epochs} epochs, seed {args.seed}")
    print("best val accuracy (lr/batch, epochs, seconds over the configs tried); chance 0.50")
    header = f"{'lag':>4} | " + " | ".join(f"{c:^31}" for c in args.cells)
    print(header)
    print("-" * len(header))
    for lag in args.lags:
        cells = [best_over_configs(cell, lag, args) for cell in args.cells]
        print(f"{lag:>4} | " + " | ".join(f"{c:^31}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
