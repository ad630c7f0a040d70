"""Memory task: recall the digit that followed a marker somewhere back in the sequence.

Each sequence is `length` random digits (token ids 2…11 for digits 0…9) with one marker (id 1)
at a uniformly random position; the label is whether the digit right after the marker is ≥ 5.
The digit to recall looks exactly like the distractors, so no embedding can silence them: the
network has to latch the one digit after the marker and hold it while equally loud inputs arrive
at every step (a "noisy latch", Bengio, Simard & Frasconi, 1994). The lag — digits between the
recalled one and the end — is uniform on 0…length-2, and the table also shows the accuracy on the
far half (lag ≥ length/2), so a model that only solves the short lags cannot pass.

Every epoch draws fresh training sequences, as synthetic-task studies do: with a fixed set of
10,000 sequences of 100+ random digits, an LSTM memorizes the training set (train loss 0.50,
validation at chance) instead of learning the latch.

Every cell gets the same model and the same budget: Embedding(12, 8) → <cell>(--units) →
Dense(1, sigmoid), Adam(--lr, clipnorm=1), batch --batch-size, at most --epochs epochs of --train
fresh sequences, stopping once validation accuracy reaches --target. A cell "solves" a length when
it reaches 95 % within the budget; the table gives, per seed, the epoch it first did (— if never).
Chance is 0.50. Not a timed test: seconds are for scale only.

    python benchmarks/bench_memory_task.py                      # lengths 25 50 100 200, seed 0 (≈7 min)
    python benchmarks/bench_memory_task.py --lengths 100 --cells LSTM GRU --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

import rnnkit
from rnnkit import layers

VOCAB = 12        # 0: unused, 1: the marker, 2…11: digits 0…9
MARKER = 1
CELLS = ("SimpleRNN", "LSTM", "GRU")
SOLVED = 0.95     # the accuracy the issue asks of LSTM and GRU


def make_data(n: int, length: int, rng: np.random.Generator):
    """(x, y, lag): random digits with one marker; y = (digit after the marker ≥ 5)."""
    x = rng.integers(2, VOCAB, (n, length))
    rows, marker_at = np.arange(n), rng.integers(0, length - 1, n)
    x[rows, marker_at] = MARKER
    y = (x[rows, marker_at + 1] - 2 >= 5).astype(np.int32)
    return x.astype(np.int32), y, length - 2 - marker_at


@dataclass
class Outcome:
    accuracy: float          # best validation accuracy
    far_accuracy: float      # at that epoch, on the sequences with lag ≥ length/2
    solved_at: int | None    # first epoch with validation accuracy ≥ SOLVED
    seconds: float


def build(cell: str, length: int, args) -> rnnkit.Sequential:
    model = rnnkit.Sequential([rnnkit.Input((length,)), layers.Embedding(VOCAB, 8),
                               getattr(layers, cell)(args.units),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(args.lr, clipnorm=1.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run(cell: str, length: int, seed: int, args) -> Outcome:
    """Train one cell on one length with fresh data each epoch, up to the budget or --target."""
    rnnkit.set_random_seed(seed)
    rng = rnnkit.random.make_rng(seed)
    x_val, y_val, lag_val = make_data(args.val, length, rng)
    far = lag_val >= length // 2
    model = build(cell, length, args)
    best = Outcome(0.0, 0.0, None, 0.0)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        x, y, _ = make_data(args.train, length, rng)
        model.fit(x, y, batch_size=args.batch_size, epochs=epoch + 1, initial_epoch=epoch,
                  verbose=0)
        correct = (model.predict(x_val, batch_size=1000, verbose=0)[:, 0] > 0.5) == y_val
        accuracy = float(correct.mean())
        if accuracy >= SOLVED and best.solved_at is None:
            best.solved_at = epoch + 1
        if accuracy > best.accuracy:
            best.accuracy, best.far_accuracy = accuracy, float(correct[far].mean())
        if accuracy >= args.target:
            break
    best.seconds = time.perf_counter() - start
    return best


def table_cell(outcomes: list[Outcome]) -> str:
    """Worst accuracy and far-half accuracy over the seeds, then each seed's solving epoch."""
    worst = min(outcomes, key=lambda o: o.accuracy)
    epochs = " ".join("—" if o.solved_at is None else str(o.solved_at) for o in outcomes)
    seconds = sum(o.seconds for o in outcomes)
    return f"{worst.accuracy:5.3f} {worst.far_accuracy:5.3f} [{epochs}] {seconds:4.0f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[25, 50, 100, 200])
    parser.add_argument("--cells", nargs="+", default=list(CELLS), choices=CELLS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--train", type=int, default=10000, help="fresh sequences per epoch")
    parser.add_argument("--val", type=int, default=2000)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--target", type=float, default=0.99)
    args = parser.parse_args()

    print(f"noisy latch at a random position: {args.train:,} fresh sequences per epoch, "
          f"≤ {args.epochs} epochs, {args.val:,} validation sequences, {args.units} units, "
          f"Adam {args.lr:g} / batch {args.batch_size}, seeds {args.seeds}")
    print("per cell: worst-seed val accuracy, its far-half accuracy, [epoch each seed first "
          f"reached {SOLVED:.2f}], seconds; chance 0.50")
    width = 18 + 3 * len(args.seeds)
    header = f"{'length':>6} | " + " | ".join(f"{c:^{width}}" for c in args.cells)
    print(header)
    print("-" * len(header))
    for length in args.lengths:
        cells = [table_cell([run(cell, length, seed, args) for seed in args.seeds])
                 for cell in args.cells]
        print(f"{length:>6} | " + " | ".join(f"{c:^{width}}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
