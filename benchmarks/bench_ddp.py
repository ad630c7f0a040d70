"""``rnnkit train --engine torch --nproc N``: one epoch's time for N = 1, 2, … on this machine.

Runs the main job's recipe (or another) through the real CLI, in fresh processes, and reads
each run's epoch time from its history.csv (data loading and start-up not counted), so the
figures are what a user sees per epoch. Prints a markdown table.

    python benchmarks/bench_ddp.py                          # N = 1, 2 on 4,000 reviews
    python benchmarks/bench_ddp.py --nproc 1 2 --train-size 20000 --repeat 2
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def epoch_seconds(recipe: str, nproc: int, train_size: int, out: Path) -> tuple[float, float]:
    """(first epoch's seconds from history.csv, the whole command's wall seconds)."""
    run_dir = out / f"run-{nproc}-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "rnnkit", "train", recipe, "--engine", "torch",
               "--nproc", str(nproc), "--run-dir", str(run_dir), "--quiet",
               "--set", "train.epochs=1", "--set", f"data.train_size={train_size}"]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    with open(run_dir / "history.csv", newline="") as f:
        return float(next(csv.DictReader(f))["seconds"]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"recipe {args.recipe}, {args.train_size:,} training examples, 1 epoch, torch engine\n")
    print("| processes | epoch s (min of runs) | command wall s | epoch vs 1 process |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for nproc in args.nproc:
            runs = [epoch_seconds(args.recipe, nproc, args.train_size, Path(tmp))
                    for _ in range(args.repeat)]
            epoch, wall = min(r[0] for r in runs), min(r[1] for r in runs)
            base = base or epoch
            print(f"| {nproc} | {epoch:.1f} | {wall:.1f} | {epoch / base:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
