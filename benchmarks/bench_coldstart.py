"""First use: ``rnnkit train`` (the main job) end to end with numba's cache empty (cold) and full
(warm), with and without the compile-ahead helper (kernels/warmup.py; ``RNNKIT_WARMUP=0`` is the
run as it was before it), in fresh processes, the four conditions interleaved round by round.

    python benchmarks/bench_coldstart.py                      # 3 rounds of the main job
    python benchmarks/bench_coldstart.py --rounds 5 -- --set train.epochs=1
    python benchmarks/bench_coldstart.py --breakdown           # what the first passes compile

Cold: ``NUMBA_CACHE_DIR`` is a new empty folder for every run (numba's cache of a new install is
empty the same way, in ``__pycache__`` next to the kernels or in numba's user-wide cache); warm:
a folder filled by one untimed run first. Reports the median, min and max of the wall time, the
process CPU time (user + sys, children included), and from each run's train.log the data load,
the first epoch and the mean of the other epochs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
CONDITIONS = [("cold", "0"), ("cold", "1"), ("warm", "0"), ("warm", "1")]


def run_once(cache: Path, warmup: str, work: Path, extra: list[str]) -> dict:
    run_dir = Path(tempfile.mkdtemp(dir=work)) / "run"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "RNNKIT_WARMUP": warmup,
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnnkit", "train", "--quiet", "--run-dir",
                    str(run_dir), *extra], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    log = (run_dir / "train.log").read_text(encoding="utf-8")
    data = float(re.search(r"classes .*\(([\d.]+) s\)", log).group(1))
    epochs = [float(s) for s in re.findall(r"epoch \d+: .*\(([\d.]+) s\)", log)]
    return {"wall": wall, "cpu": cpu, "data": data, "epoch1": epochs[0],
            "later": statistics.mean(epochs[1:]) if len(epochs) > 1 else float("nan")}


BREAKDOWN = """
import sys, time
started = time.perf_counter()
from rnnkit.workflow import recipes
from rnnkit.kernels import warmup
imported = time.perf_counter()
from rnnkit import kernels
kernels.load()
loaded = time.perf_counter()
from numba.core import event
times = {}
class Timer(event.Listener):
    def on_start(self, ev):
        times[ev.data["dispatcher"].py_func.__qualname__] = [time.perf_counter(), time.process_time()]
    def on_end(self, ev):
        t = times[ev.data["dispatcher"].py_func.__qualname__]
        t[0], t[1] = time.perf_counter() - t[0], time.process_time() - t[1]
event.register("numba:compile", Timer())
warmup.exercise(recipes.load("default"))
done = time.perf_counter()
print(f"import rnnkit.workflow {imported - started:.2f} s; numba + kernel modules "
      f"{loaded - imported:.2f} s; first passes (build, train step, eval, predict) "
      f"{done - loaded:.2f} s, of which compiling:")
for name, (wall, cpu) in times.items():
    print(f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
"""


def breakdown() -> None:
    """The main job's model through its first passes in a fresh process, cold then warm."""
    with tempfile.TemporaryDirectory() as cache:
        for state in ("cold", "warm"):
            print(f"{state}:", flush=True)
            env = {**os.environ, "NUMBA_CACHE_DIR": cache,
                   "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
            subprocess.run([sys.executable, "-c", BREAKDOWN], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="after --: more `rnnkit train` arguments")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the stages of the first passes instead (cold, then warm)")
    args = parser.parse_args()
    if args.breakdown:
        return breakdown()
    results: dict[tuple, list[dict]] = {c: [] for c in CONDITIONS}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm_cache = work / "warm-cache"
        run_once(warm_cache, "0", work, args.extra)           # fills the warm cache, untimed
        for r in range(args.rounds):
            for cache_state, warmup in CONDITIONS:
                cache = warm_cache if cache_state == "warm" else Path(tempfile.mkdtemp(dir=work))
                res = run_once(cache, warmup, work, args.extra)
                results[(cache_state, warmup)].append(res)
                print(f"round {r + 1} {cache_state} warmup={warmup}: "
                      + ", ".join(f"{k} {v:.1f}" for k, v in res.items()), flush=True)
    print("\n| cache | compile-ahead helper | wall s | CPU s | data load s | epoch 1 s "
          "| later epochs s |")
    print("|---|---|---|---|---|---|---|")
    for (cache_state, warmup), rows in results.items():
        cells = []
        for key in ("wall", "cpu", "data", "epoch1", "later"):
            values = [row[key] for row in rows]
            cells.append(f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})")
        helper = "on" if warmup == "1" else "off (`RNNKIT_WARMUP=0`, as before)"
        print(f"| {cache_state} | {helper} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
