"""Soak test of ``rnnkit train --resume``: kill -9 a small run at many moments, resume it each
time, and compare the final model with the same run left uninterrupted, bit for bit.

    python benchmarks/soak_resume.py                  # 24 kill points, about 5 minutes on 2 cores
    python benchmarks/soak_resume.py --points 40 --seed 3 --budget 900

The run: a synthetic two-class text set (480 training texts, batches of 16: 30 batches an epoch),
an Embedding → GRU(dropout 0.2, recurrent_dropout 0.3) → Dense recipe, Adam, 5 epochs, early
stopping on val_loss with its best weights, the best checkpoint — every random generator and
every callback with state in play. Kill points, in a fixed rotation, each at a random moment:

    step          SIGKILL after a random optimizer step (hook RNNKIT_FAULT, src/rnnkit/faults.py)
    backup-write  inside a random backup write, the archive complete but not yet renamed in
    backup-prune  a new backup in place, the older ones not yet removed
    model-write   inside a random best-model (model.keras) write
    history-write inside a random history.csv write
    external      ``kill -9`` from this script after a random delay into training
    twice         killed twice (two random steps) before the run is let finish
    torch         a random step on the torch engine (compared with a torch reference)

Half the points back up every 5 batches (``--backup-every 5``), half at epoch ends only. A row
says where the resumed run continued from and whether its model.keras (weights and optimizer
variables) and history.csv (every value but the seconds) equal the reference's. Exit status 1 if
any row differs. Runs in a temporary folder; nothing in the repository is written.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from rnnkit.models import load_model

STEPS_PER_EPOCH, EPOCHS = 30, 5
KINDS = ["step", "backup-write", "model-write", "external", "step", "backup-prune",
         "history-write", "twice", "step", "torch", "external", "model-write"]
RECIPE = """
description = "soak test of rnnkit train --resume"
[data]
source = "file"
path = "{path}"
test_split = 0.2
num_words = 40
maxlen = 12
validation_split = 0.2
[model]
layers = [
    {{ type = "Embedding", input_dim = 40, output_dim = 8 }},
    {{ type = "GRU", units = 8, dropout = 0.2, recurrent_dropout = 0.3 }},
    {{ type = "Dense", units = 1, activation = "sigmoid" }},
]
[train]
optimizer = "adam"
learning_rate = 0.01
batch_size = 16
epochs = {epochs}
monitor = "val_loss"
early_stopping = true
patience = 2
"""
WORDS = {"pos": ["good", "great", "wonderful", "moving", "superb", "fun"],
         "neg": ["bad", "awful", "boring", "dull", "terrible", "weak"]}
FILLER = ["the", "film", "a", "plot", "actors", "was", "and", "it", "this", "story"]


def write_recipe(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    with open(folder / "reviews.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(750):
            label = ("neg", "pos")[i % 2]
            words = list(rng.choice(FILLER, 8)) + list(rng.choice(WORDS[label], 2))
            rng.shuffle(words)
            writer.writerow([" ".join(words), label])
    recipe = folder / "soak.toml"
    recipe.write_text(RECIPE.format(path=(folder / "reviews.csv").as_posix(), epochs=EPOCHS),
                      encoding="utf-8")
    return recipe


def rnnkit_train(args: list[str], fault: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC),
                                                         os.environ.get("PYTHONPATH", "")])}
    env.pop("RNNKIT_FAULT", None)
    if fault:
        env["RNNKIT_FAULT"] = fault
    return subprocess.Popen([sys.executable, "-m", "rnnkit", "train", *args, "--quiet"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


def engine_flags(kind: str) -> list[str]:
    return ["--engine", "torch", "--device", "cpu"] if kind == "torch" else []


def reference(recipe: Path, work: Path, kind: str) -> tuple[Path, float]:
    """The uninterrupted run, and the seconds its epochs took (from its history)."""
    run = work / f"reference-{kind}"
    code, _, err = finish(rnnkit_train([str(recipe), "--run-dir", str(run), *engine_flags(kind)]))
    if code:
        raise SystemExit(f"the reference run failed:\n{err}")
    with open(run / "history.csv", newline="") as f:
        return run, sum(float(row["seconds"]) for row in csv.DictReader(f))


def kill_externally(proc: subprocess.Popen, run: Path, delay: float) -> None:
    """``kill -9`` ``delay`` seconds after the run's first epoch began (its log exists)."""
    deadline = time.monotonic() + 120
    while not (run / "train.log").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)


def one_point(i: int, kind: str, every: int, recipe: Path, work: Path, ref: Path,
              train_seconds: float, rng: random.Random) -> dict:
    run = work / f"point-{i:02d}"
    start = [str(recipe), "--run-dir", str(run), "--backup-every", str(every), *engine_flags(kind)]
    faults = plan_faults(kind, every, rng)
    shown = ", ".join(faults) if faults else ""
    proc = rnnkit_train(start, faults[0] if faults else None)
    if kind == "external":
        delay = rng.uniform(0.0, train_seconds)
        kill_externally(proc, run, delay)
        shown = f"kill -9 at +{delay:.2f} s"
    codes = [finish(proc)[0]]
    resumed_at = []
    if codes[0] == 0:                   # the run ended before the chosen moment came
        return {"point": i, "kind": kind, "every": every, "fault": shown + " (not reached)",
                "exit codes": "0", "resumed at": "-", "model": None, "max abs Δw": float("nan"),
                "history": None}
    for fault in [*faults[1:], None]:
        code, out, err = finish(rnnkit_train(["--resume", str(run), "--backup-every", str(every),
                                              *engine_flags(kind)], fault))
        if code == 2 and "not a run directory" in err:      # killed before the run began
            code, out, err = finish(rnnkit_train(start, fault))
        codes.append(code)
        resumed_at += re.findall(r"Resuming .* at (.*)", out) or ["(started again)"]
    same_model, max_diff = compare_models(run, ref)
    return {"point": i, "kind": kind, "every": every, "fault": shown,
            "exit codes": " ".join(map(str, codes)), "resumed at": "; ".join(resumed_at),
            "model": same_model, "max abs Δw": max_diff, "history": same_history(run, ref)}


def plan_faults(kind: str, every: int, rng: random.Random) -> list[str]:
    """The RNNKIT_FAULT of each process of a point, the last one's run finishing unhurt."""
    steps = STEPS_PER_EPOCH * EPOCHS
    backups = steps // every if every else EPOCHS
    if kind in ("step", "torch"):
        return [f"kill:step@{rng.randrange(1, steps)}"]
    if kind == "twice":
        first, second = sorted(rng.sample(range(1, steps // 2), 2))
        return [f"kill:step@{first}", f"kill:step@{second}"]
    if kind == "backup-write":
        return [f"kill:write:backup-*@{rng.randrange(1, backups)}"]
    if kind == "backup-prune":
        return [f"kill:backup:written@{rng.randrange(1, backups)}"]
    if kind == "model-write":
        return [f"kill:write:model.keras@{rng.randrange(1, 4)}"]
    if kind == "history-write":
        return [f"kill:write:history.csv@{rng.randrange(1, EPOCHS)}"]
    return []                                                   # external: no hook


def compare_models(run: Path, ref: Path) -> tuple[bool, float]:
    if not (run / "model.keras").is_file():
        return False, float("nan")
    model, reference_model = load_model(run / "model.keras"), load_model(ref / "model.keras")
    pairs = list(zip(model.get_weights(), reference_model.get_weights())) + \
        list(zip(model.optimizer.variables, reference_model.optimizer.variables))
    same = all(np.array_equal(a, b) for a, b in pairs)
    return same, max(float(np.max(np.abs(a - b), initial=0.0)) for a, b in pairs)


def same_history(run: Path, ref: Path) -> bool:
    def rows(path):
        return [line.rsplit(",", 1)[0] for line in (path / "history.csv").read_text().splitlines()]
    return (run / "history.csv").is_file() and rows(run) == rows(ref)


def table(rows: list[dict]) -> str:
    keys = ["point", "kind", "every", "fault", "exit codes", "resumed at", "model", "max abs Δw",
            "history"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [f"{row[k]:.1e}" if k == "max abs Δw" else str(row[k]) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=24, help="kill points (at least 20)")
    parser.add_argument("--seed", type=int, default=16, help="draws the kill moments")
    parser.add_argument("--budget", type=float, default=1200, help="seconds; stop after it")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnnkit-soak-") as folder:
        work = Path(folder)
        recipe = write_recipe(work)
        refs = {kind: reference(recipe, work, kind) for kind in ("numpy", "torch")}
        print(f"references: epochs took numpy {refs['numpy'][1]:.1f} s, torch "
              f"{refs['torch'][1]:.1f} s", flush=True)
        rows = []
        for i in range(args.points):
            if time.perf_counter() - started > args.budget:
                print(f"budget of {args.budget:.0f} s spent after {i} points", flush=True)
                break
            kind = KINDS[i % len(KINDS)]
            ref, seconds = refs["torch" if kind == "torch" else "numpy"]
            row = one_point(i + 1, kind, 5 if i % 2 else 0, recipe, work, ref, seconds, rng)
            rows.append(row)
            print(f"{i + 1:2d} {kind:13s} {row['fault']:34s} → {row['resumed at']}: model "
                  f"{_said(row['model'])}, history {_said(row['history'])}", flush=True)
    print()
    print(table(rows))
    killed = [r for r in rows if r["model"] is not None]
    bad = [r for r in killed if not (r["model"] and r["history"])]
    print(f"\n{len(killed)} runs killed ({len(rows) - len(killed)} points not reached), "
          f"{len(killed) - len(bad)} resumed bit-identical to the uninterrupted run, "
          f"{len(bad)} not; {time.perf_counter() - started:.0f} s")
    return 1 if bad else 0


def _said(same: bool | None) -> str:
    return "-" if same is None else "identical" if same else "DIFFERS"


if __name__ == "__main__":
    sys.exit(main())
