"""``rnnkit train --engine torch --nproc N``: one epoch's time, and what the all-reduce costs.

Two parts, both on the main job's recipe (or another) and its real data:

* **Profile** (``--profile-steps``, 2 processes): three copies of the model train side by side on
  the same global batches, step by step in turn, so that the machine's other load falls on
  each alike. They differ only in how DDP reduces the gradients: ``rows`` (rnnkit's
  ``EmbeddingRows`` hook: the embedding rows the global batch used), ``dense`` (DDP's own
  all-reduce of every row) and ``none`` (no communication at all: the step's compute alone;
  its weights drift apart, so it is for timing only). For each: the median step, the median
  time from a bucket's gradients being ready to its all-reduce being done (what the step
  waits for: the embedding's gradient is the last one backward makes, so nothing overlaps it),
  its share of the step, the optimizer's median, and the rows sent. Then the collective alone
  (barrier, all-reduce; median) for the dense bucket's and the rows' sizes. First, the same
  steps in one process (1 thread, no DDP) on the whole batch and on half of it: a rank's step
  is the half batch's plus the all-reduce and the wait for the other rank, and it must beat
  the whole batch's.
* **Epochs**: ``rnnkit train … --nproc N`` through the real CLI in fresh processes, the epoch
  time read from each run's history.csv (start-up, data loading and DDP's set-up not counted):
  1 process (with one thread a core, PyTorch's default, and with 1 thread, what ``rnnkit
  train`` gives its one CPU process: the baseline), then N processes with the dense
  all-reduce ("before") and with the rows ("after"). ``--repeat`` rounds, each running every
  row once in turn, so that the machine's drifting load falls on all rows alike.

    python benchmarks/bench_ddp.py                               # 4,000 reviews, 60 steps
    python benchmarks/bench_ddp.py --train-size 4000 --repeat 2 --profile-steps 60
    python benchmarks/bench_ddp.py --profile-steps 0             # epochs only
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("rows", "dense", "none")

# One of --nproc's processes: the CLI, with DDP's dense all-reduce of the embedding's gradient.
DENSE = ("import runpy, sys; from rnnkit.engines.torch_engine.distributed import Shard; "
         "Shard.embedding_rows = False; sys.argv[0] = 'rnnkit'; "
         "runpy.run_module('rnnkit', run_name='__main__')")
# What --nproc N does once it has checked the recipe: launch N of those (argv: N, CLI args).
LAUNCH_DENSE = ("import sys; from rnnkit.engines.torch_engine.distributed import launch; "
                f"sys.exit(max(launch(['-c', {DENSE!r}, *sys.argv[2:]], int(sys.argv[1]))))")


# ---- epochs through the CLI -------------------------------------------------------------------------
def epoch_seconds(recipe: str, nproc: int, train_size: int, out: Path, dense: bool = False,
                  threads: int | None = None) -> tuple[float, float]:
    """(first epoch's seconds from history.csv, the whole command's wall seconds)."""
    run_dir = out / f"run-{nproc}-{time.monotonic_ns()}"
    args = ["train", recipe, "--engine", "torch", "--run-dir", str(run_dir), "--quiet",
            "--set", "train.epochs=1", "--set", f"data.train_size={train_size}"]
    command = ([sys.executable, "-c", LAUNCH_DENSE, str(nproc), *args] if dense else
               [sys.executable, "-m", "rnnkit", *args, "--nproc", str(nproc)])
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
                            if threads else {})}
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - started
    with open(run_dir / "history.csv", newline="") as f:
        return float(next(csv.DictReader(f))["seconds"]), wall


def epochs(args) -> None:
    from rnnkit.engines.torch_engine.distributed import process_threads
    print(f"\nrecipe {args.recipe}, {args.train_size:,} training examples, 1 epoch, torch engine"
          f" ({args.repeat} round(s), each running every row once, in turn)\n")
    print("| processes | threads each | embedding gradient | epoch s (min) | epoch s (median) | "
          "command wall s (min) | epoch vs 1 process |")
    print("|---|---|---|---|---|---|---|")
    cases = []
    cores = os.cpu_count() or 1
    for n in args.nproc:        # 1 process: PyTorch's default (one thread a core), and rnnkit's
        cases += [(1, False, cores), (1, False, None)] if n == 1 else [(n, True, None),
                                                                      (n, False, None)]
    with tempfile.TemporaryDirectory() as tmp:
        # Rounds, not one case's repeats after another: the machine's load drifts, and in rounds
        # it falls on every case alike.
        runs = {case: [] for case in cases}
        for _ in range(args.repeat):
            for case in cases:
                nproc, dense, threads = case
                runs[case].append(epoch_seconds(args.recipe, nproc, args.train_size, Path(tmp),
                                                dense, threads))
    # the baseline: one process as `rnnkit train` runs it (rnnkit's thread count)
    base = min(r[0] for r in runs.get((1, False, None), next(iter(runs.values()))))
    for (nproc, dense, threads), done in runs.items():
        epoch, wall = min(r[0] for r in done), min(r[1] for r in done)
        middle = statistics.median(r[0] for r in done)
        how = "–" if nproc == 1 else ("dense all-reduce (before)" if dense else
                                     "rows all-reduce (after)")
        each = threads or process_threads().get("OMP_NUM_THREADS", "as set")
        print(f"| {nproc} | {each} | {how} | {epoch:.2f} | {middle:.2f} | {wall:.1f} | "
              f"{epoch / base:.2f}× |", flush=True)


# ---- the profile: one process of it ---------------------------------------------------------------
def timed_rule(step, out: list):
    def run(grads):
        started = time.perf_counter()
        step(grads)
        out.append(time.perf_counter() - started)
    return run


def profile_worker(recipe: str, train_size: int, steps: int) -> None:
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

    from rnnkit.engines.torch_engine.distributed import EmbeddingRows, Shard
    from rnnkit.workflow import recipes
    from rnnkit.workflow.build import build_model
    from rnnkit.workflow.data import input_shape
    from rnnkit.workflow.train import plan_run

    config = recipes.load(recipe, [f"data.train_size={train_size}"])
    plan = plan_run(config, "torch", {"device": "cpu"})
    x, y = plan.data.train.x, plan.data.train.y
    batch = int(config["train"]["batch_size"])
    Shard.embedding_rows = False            # the hooks are registered here, timed
    runs = {}
    for mode in MODES:
        model = build_model(config, input_shape(config["data"]), len(plan.data.classes.values),
                            "torch", device="cpu")
        engine = model.engine
        engine._prepare()
        wait: list[float] = []

        def timed(hook, wait=wait):
            def run(hook_state, bucket):
                started = time.perf_counter()

                def done(fut):
                    wait.append(time.perf_counter() - started)
                    return fut.value()
                return hook(hook_state, bucket).then(done)
            return run

        if mode == "rows":
            state = EmbeddingRows(engine._input_embedding(), engine.shard.world)
            engine.shard.rows = state
            engine.module.register_comm_hook(state, timed(EmbeddingRows.hook))
        elif mode == "dense":
            engine.module.register_comm_hook(None, timed(default_hooks.allreduce_hook))
        else:
            def nothing(state, bucket):
                fut = torch.futures.Future()
                fut.set_result(bucket.buffer())
                return fut
            engine.module.register_comm_hook(None, timed(nothing))
        runs[mode] = {"engine": engine, "wait": wait, "step": [], "rule": [], "rows": []}
        engine.rule.step = timed_rule(engine.rule.step, runs[mode]["rule"])

    n_batches = len(x) // batch
    touch = []
    for s in range(steps):
        i = (s % n_batches) * batch
        xb, yb = x[i:i + batch], y[i:i + batch]
        for mode in MODES:
            r = runs[mode]
            engine = r["engine"]
            dist.barrier()
            started = time.perf_counter()
            calls = len(r["wait"])
            engine.train_step(xb, yb)
            r["step"].append(time.perf_counter() - started)
            r["buckets"] = len(r["wait"]) - calls
            r["wait"][calls:] = [sum(r["wait"][calls:])]     # a step's buckets, together
            if mode == "rows":
                r["rows"].append(engine.shard.rows.reduced)
        started = time.perf_counter()
        EmbeddingRows(runs["rows"]["engine"]._input_embedding(), 2).touch(xb)
        touch.append(time.perf_counter() - started)

    # The collective alone, for the bucket's two sizes (the whole network's gradients in one).
    total = sum(p.numel() for p in runs["dense"]["engine"].net.parameters())
    weight = runs["dense"]["engine"]._input_embedding()
    rows = int(np.median(runs["rows"]["rows"][1:]))
    sizes = {"dense": total, "rows": total - weight.numel() + rows * weight.shape[1]}
    alone = {}
    for name, size in sizes.items():
        t = torch.ones(size)
        times = []
        for _ in range(40):
            dist.barrier()
            started = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - started)
        alone[name] = 1e3 * float(np.median(times[5:]))

    if dist.get_rank() != 0:
        return
    skip = 3                                    # the first steps build, warm up, rebuild buckets
    ms = {m: {k: 1e3 * float(np.median(runs[m][k][skip:])) for k in ("step", "wait", "rule")}
          for m in MODES}
    print(f"\nrecipe {recipe}: {steps} steps of {batch} (median of the last {steps - skip}), "
          f"2 processes × {torch.get_num_threads()} thread(s), gloo, the three modes in turn\n")
    print("| gradients reduced | step ms | all-reduce ms (ready → done) | share of step | "
          "optimizer ms | buckets | embedding rows sent |")
    print("|---|---|---|---|---|---|---|")
    sent = {"rows": f"{rows:,} of {weight.shape[0]:,}", "dense": f"{weight.shape[0]:,}",
            "none": "0 (no communication)"}
    for m in MODES:
        print(f"| {m} | {ms[m]['step']:.1f} | {ms[m]['wait']:.2f} | "
              f"{ms[m]['wait'] / ms[m]['step']:.1%} | {ms[m]['rule']:.1f} | {runs[m]['buckets']} | "
              f"{sent[m]} |")
    print(f"\nids → rows (``touch``, once a step): {1e3 * float(np.median(touch)):.2f} ms. "
          f"The all-reduce alone: {sizes['dense'] * 4 / 1e6:.2f} MB (dense bucket) "
          f"{alone['dense']:.2f} ms, {sizes['rows'] * 4 / 1e6:.2f} MB (rows) "
          f"{alone['rows']:.2f} ms (median of 35).", flush=True)


def alone_worker(recipe: str, train_size: int, steps: int) -> None:
    """One process, no DDP: the same steps on the whole batch and on half of it, in turn.

    What two ranks can gain at most: each runs the half batch, and its step costs what the
    half batch costs one process (plus the all-reduce and the wait for the other rank)."""
    import numpy as np
    import torch

    from rnnkit.workflow import recipes
    from rnnkit.workflow.build import build_model
    from rnnkit.workflow.data import input_shape
    from rnnkit.workflow.train import plan_run

    config = recipes.load(recipe, [f"data.train_size={train_size}"])
    plan = plan_run(config, "torch", {"device": "cpu"})
    x, y = plan.data.train.x, plan.data.train.y
    batch = int(config["train"]["batch_size"])
    sizes = (batch, batch // 2)
    engines, took, rule = {}, {n: [] for n in sizes}, {n: [] for n in sizes}
    for n in sizes:
        model = build_model(config, input_shape(config["data"]), len(plan.data.classes.values),
                            "torch", device="cpu")
        engines[n] = model.engine
        engines[n].prepare_training()
        engines[n].rule.step = timed_rule(engines[n].rule.step, rule[n])
    n_batches = len(x) // batch
    for s in range(steps):
        i = (s % n_batches) * batch
        for n in sizes:
            started = time.perf_counter()
            engines[n].train_step(x[i:i + n], y[i:i + n])
            took[n].append(time.perf_counter() - started)
    skip = 3
    print(f"\nOne process, no DDP, {torch.get_num_threads()} thread(s), the two batch sizes in "
          f"turn (median of the last {steps - skip} steps):\n")
    print("| batch | step ms | optimizer ms |")
    print("|---|---|---|")
    for n in sizes:
        print(f"| {n} | {1e3 * float(np.median(took[n][skip:])):.1f} | "
              f"{1e3 * float(np.median(rule[n][skip:])):.1f} |", flush=True)


def profile(args) -> None:
    from rnnkit.engines.torch_engine.distributed import launch, process_threads
    worker = [sys.executable, __file__, "--recipe", args.recipe, "--train-size",
              str(args.train_size), "--profile-steps", str(args.profile_steps)]
    subprocess.run([*worker, "--alone"], check=True, env={**os.environ, **process_threads()})
    codes = launch([*worker[1:], "--worker"], nproc=2)
    if max(codes):
        raise SystemExit(f"profile failed: exit codes {codes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--train-size", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile-steps", type=int, default=60, help="0: no profile")
    parser.add_argument("--no-epochs", action="store_true", help="the profile only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker or args.alone:
        (alone_worker if args.alone else profile_worker)(args.recipe, args.train_size,
                                                         args.profile_steps)
        return
    print(f"machine: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.profile_steps:
        profile(args)
    if not args.no_epochs:
        epochs(args)


if __name__ == "__main__":
    main()
