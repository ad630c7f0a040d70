"""Training and prediction speed of rnnkit's engines beside hand-written PyTorch and Keras 3.

    python benchmarks/bench_engines.py                       # W1–W8, every engine installed
    python benchmarks/bench_engines.py -w W1,W4 -e numpy,pytorch --repeats 7
    python benchmarks/bench_engines.py --markdown docs/benchmarks.md
    python benchmarks/bench_engines.py -e numpy,numpy-1,pytorch --torch-threads 1,2

Prints one row per (workload, engine): median ms per training step (RMSprop, the workload's
loss), the ratio to hand-written PyTorch at its best thread count measured in the same run
(``--torch-threads 1,2`` runs it at each count, interleaved), ms per predicted sample and its
ratio likewise, peak memory of training steps, and GFLOP/s achieved in the recurrent layers'
products. ``numpy-1`` is rnnkit's NumPy engine held to one thread (``RNNKIT_THREADS=1``).
The machine is shared and noisy: engines are interleaved round by round and medians reported.
Memory is measured in a fresh subprocess per cell (peak RSS during steps minus the RSS before).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workloads import WORKLOADS, Workload, recurrent_flops  # noqa: E402

ENGINES = ("numpy", "numpy-1", "numpy-reference", "torch", "pytorch", "keras")
LABELS = {"numpy": "rnnkit NumPy", "numpy-1": "rnnkit NumPy, 1 thread",
          "numpy-reference": "rnnkit NumPy, reference loop",
          "torch": "rnnkit torch", "pytorch": "hand-written PyTorch",
          "keras": "Keras 3 (torch backend)"}


def label(engine: str) -> str:
    """'pytorch:2' → 'hand-written PyTorch, 2 threads'."""
    base, _, threads = engine.partition(":")
    if not threads:
        return LABELS[base]
    return f"{LABELS[base]}, {threads} thread{'s' if threads != '1' else ''}"


# ---- the engines under test --------------------------------------------------------------------
class RnnkitRunner:
    """rnnkit's NumPy or torch engine; ``compiled=False`` runs the NumPy reference loop (the
    engine before its compiled kernels), switched per call since the switch is global."""

    def __init__(self, w: Workload, engine: str, compiled: bool = True,
                 threads: int | None = None):
        import rnnkit
        from rnnkit import kernels
        try:
            from rnnkit import parallel
        except ImportError:      # an rnnkit from before rnnkit.parallel: one thread only
            parallel = None
        rnnkit.set_random_seed(0)
        self.model = rnnkit.Sequential([rnnkit.Input(w.input_shape)] + w.layers(rnnkit.layers))
        self.model.compile(optimizer=rnnkit.optimizers.RMSprop(1e-4), loss=w.loss,
                           engine=engine)
        self.x, self.y = w.data()
        self.kernels, self.compiled = kernels, compiled and kernels.AVAILABLE
        self.parallel, self.threads = parallel, threads

    def _run(self, fn, *args):
        saved = self.kernels.enabled()
        saved_threads = self.parallel.get_threads() if self.parallel else None
        self.kernels.set_enabled(self.compiled)
        if self.parallel:
            self.parallel.set_threads(self.threads)
        try:
            fn(*args)
        finally:
            self.kernels.set_enabled(saved)
            if self.parallel:
                self.parallel.set_threads(saved_threads)

    def step(self):
        self._run(self.model.train_on_batch, self.x, self.y)

    def predict(self):
        self._run(self.model.predict_on_batch, self.x)


class KerasRunner:
    def __init__(self, w: Workload):
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras
        keras.utils.set_random_seed(0)
        self.model = keras.Sequential([keras.Input(w.input_shape)] + w.layers(keras.layers))
        self.model.compile(optimizer=keras.optimizers.RMSprop(1e-4), loss=w.loss)
        self.x, self.y = w.data()

    def step(self):
        self.model.train_on_batch(self.x, self.y)

    def predict(self):
        self.model.predict_on_batch(self.x)


class PyTorchRunner:
    """The same layers written directly in PyTorch (nn.Embedding, nn.LSTM/GRU/RNN, nn.Linear)."""

    def __init__(self, w: Workload, threads: int | None = None):
        import torch

        import handwritten_torch
        torch.manual_seed(0)
        self.torch, self.threads = torch, threads
        self.model = handwritten_torch.build(w)
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
        self.loss = (torch.nn.BCEWithLogitsLoss() if w.classes == 1
                     else torch.nn.CrossEntropyLoss())
        x, y = w.data()
        self.x = torch.from_numpy(x if w.one_hot else x.astype(np.int64))
        self.y = torch.from_numpy(y).reshape(-1, 1) if w.classes == 1 else torch.from_numpy(y)

    def _set_threads(self):
        if self.threads:
            self.torch.set_num_threads(self.threads)

    def step(self):
        self._set_threads()
        self.model.train()
        self.opt.zero_grad()
        self.loss(self.model(self.x), self.y).backward()
        self.opt.step()

    def predict(self):
        self._set_threads()
        self.model.eval()
        with self.torch.no_grad():
            self.model(self.x)


def make_runner(w: Workload, engine: str):
    """``engine`` as in ENGINES; ``pytorch:N`` is hand-written PyTorch on N threads."""
    base, _, threads = engine.partition(":")
    if base in ("numpy", "torch"):
        return RnnkitRunner(w, base)
    if base == "numpy-1":
        return RnnkitRunner(w, "numpy", threads=1)
    if base == "numpy-reference":
        return RnnkitRunner(w, "numpy", compiled=False)
    return PyTorchRunner(w, int(threads) if threads else None) if base == "pytorch" \
        else KerasRunner(w)


def engine_available(engine: str) -> bool:
    import importlib.util
    needs = {"numpy": "numpy", "numpy-1": "numpy", "numpy-reference": "numpy", "torch": "torch",
             "pytorch": "torch", "keras": "keras"}[engine.partition(":")[0]]
    return importlib.util.find_spec(needs) is not None


# ---- measurements --------------------------------------------------------------------------------
def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_speed(w: Workload, engines, repeats: int, steps: int) -> dict:
    """Median seconds per training step and per predict call, engines interleaved by round."""
    runners = {e: make_runner(w, e) for e in engines}
    for runner in runners.values():          # warm-up: lazy builds, JIT compilation, caches
        runner.step()
        runner.predict()
    step_times = {e: [] for e in engines}
    predict_times = {e: [] for e in engines}
    shuffle = np.random.default_rng(0)
    for _ in range(repeats):
        # a new order each round (seeded): PyTorch's OpenMP threads keep spinning for a while
        # after an op, slowing whichever engine runs next on a small machine
        for engine in shuffle.permutation(list(runners)):
            runner = runners[engine]
            step_times[engine] += [_timed(runner.step) for _ in range(steps)]
            predict_times[engine].append(_timed(runner.predict))
    flops = _flops(w)
    return {e: {"step_ms": 1e3 * float(np.median(step_times[e])),
                "predict_ms_per_sample": 1e3 * float(np.median(predict_times[e])) / w.batch,
                "gflops": flops / float(np.median(step_times[e])) / 1e9}
            for e in engines}


def _flops(w: Workload) -> float:
    import rnnkit
    layers = w.layers(rnnkit.layers)
    return recurrent_flops(layers, w.input_shape, w.batch)


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_probe(w: Workload, engine: str, steps: int) -> float:
    """MiB of resident memory that training steps add on top of the built model (this process)."""
    runner = make_runner(w, engine)
    runner.step()
    before = _rss_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")                      # reset the peak (VmHWM) to the current RSS
    for _ in range(steps):
        runner.step()
    return (_rss_kib("VmHWM") - before) / 1024


def measure_memory(w: Workload, engine: str, args) -> float | None:
    """Run ``memory_probe`` in a fresh interpreter so engines don't share allocations."""
    cmd = [sys.executable, __file__, "--memory-probe", w.key, engine,
           "--torch-threads", args.torch_threads]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        print(f"  memory probe failed for {w.key}/{engine}: {done.stderr.strip()[-200:]}",
              file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"]


# ---- report -----------------------------------------------------------------------------------------
HEADER = ("workload", "engine", "ms/step", "× PyTorch", "ms/sample (predict)",
          "predict × PyTorch", "peak MiB", "GFLOP/s")


def _best_pytorch(speed: dict, key: str) -> float | None:
    """PyTorch's best (lowest) figure over the thread counts run."""
    values = [s[key] for e, s in speed.items() if e.partition(":")[0] == "pytorch"]
    return min(values) if values else None


def rows_for(w: Workload, speed: dict, memory: dict) -> list[tuple]:
    """Ratios are to hand-written PyTorch at its best thread count in this run (each figure
    separately: training and predicting may be best at different counts)."""
    step_ref = _best_pytorch(speed, "step_ms")
    predict_ref = _best_pytorch(speed, "predict_ms_per_sample")
    rows = []
    for engine, s in speed.items():
        ratio = f"{s['step_ms'] / step_ref:.2f}" if step_ref else "–"
        p_ratio = f"{s['predict_ms_per_sample'] / predict_ref:.2f}" if predict_ref else "–"
        mem = memory.get(engine)
        rows.append((w.key, label(engine), f"{s['step_ms']:.1f}", ratio,
                     f"{s['predict_ms_per_sample']:.3f}", p_ratio,
                     "–" if mem is None else f"{mem:.0f}", f"{s['gflops']:.2f}"))
    return rows


def print_table(rows) -> None:
    widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    for r in [HEADER, tuple("-" * n for n in widths), *rows]:
        print("  ".join(str(c).ljust(n) for c, n in zip(r, widths)), flush=True)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for name in ("numba", "torch", "keras"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            pass
    return f"{cpu}, {os.cpu_count()} cores; " + ", ".join(versions)


def write_markdown(path: Path, rows, workloads, args) -> None:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    described = "\n".join(f"- **{w.key}** {w.description}" for w in workloads)
    command = "python benchmarks/bench_engines.py " + " ".join(sys.argv[1:])
    text = (f"<!-- table written by {command} -->\n\n**Machine:** {machine()}\n\n"
            f"**Workloads:**\n{described}\n\n"
            f"Median of {args.repeats}×{args.steps} training steps (RMSprop, batch as listed), "
            f"engines interleaved; PyTorch threads: {args.torch_threads}.\n\n" + "\n".join(lines))
    path.write_text(text + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-w", "--workloads", default=",".join(k for k in WORKLOADS if k != "D"),
                        help=f"comma-separated, from {', '.join(WORKLOADS)} (D: the main job)")
    parser.add_argument("-e", "--engines", default="numpy,torch,pytorch,keras",
                        help=f"comma-separated, from {', '.join(ENGINES)}")
    parser.add_argument("--repeats", type=int, default=5, help="rounds of interleaved timing")
    parser.add_argument("--steps", type=int, default=3, help="training steps per engine per round")
    parser.add_argument("--torch-threads", default="1",
                        help="torch.set_num_threads for the torch-based engines; a list (1,2) "
                             "runs hand-written PyTorch at each count, interleaved, and the "
                             "ratios use its best; rnnkit torch and Keras run at the first "
                             "(default 1)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--memory-probe", nargs=2, metavar=("WORKLOAD", "ENGINE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    torch_threads = [int(n) for n in args.torch_threads.split(",")]
    if engine_available("torch"):
        import torch
        torch.set_num_threads(torch_threads[0])
    if args.memory_probe:
        key, engine = args.memory_probe
        print(json.dumps({"peak_mib": memory_probe(WORKLOADS[key], engine, steps=3)}))
        return

    engines = []
    for e in args.engines.split(","):
        if not engine_available(e):
            continue
        if e == "pytorch" and len(torch_threads) > 1:
            engines += [f"pytorch:{n}" for n in torch_threads]
        else:
            engines.append(e)
    workloads = [WORKLOADS[k] for k in args.workloads.split(",")]
    print(f"# {machine()}\n# engines: {', '.join(label(e) for e in engines)}", flush=True)
    rows = []
    for w in workloads:
        speed = measure_speed(w, engines, args.repeats, args.steps)
        memory = {} if args.no_memory else {e: measure_memory(w, e, args) for e in engines}
        rows += rows_for(w, speed, memory)
        print_table(rows_for(w, speed, memory))
    print()
    print_table(rows)
    if args.markdown:
        write_markdown(args.markdown, rows, workloads, args)


if __name__ == "__main__":
    main()
