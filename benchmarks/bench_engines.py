"""Training and prediction speed of rnnkit's engines beside hand-written PyTorch and Keras 3.

    python benchmarks/bench_engines.py                       # W1–W8, every engine installed
    python benchmarks/bench_engines.py -w W1,W4 -e numpy,pytorch --repeats 7
    python benchmarks/bench_engines.py --markdown docs/benchmarks.md

Prints one row per (workload, engine): median ms per training step (RMSprop, the workload's
loss), the ratio to hand-written PyTorch measured in the same run, ms per predicted sample,
peak memory of training steps, and GFLOP/s achieved in the recurrent layers' products.
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

ENGINES = ("numpy", "numpy-reference", "torch", "pytorch", "keras")
LABELS = {"numpy": "rnnkit NumPy", "numpy-reference": "rnnkit NumPy, reference loop",
          "torch": "rnnkit torch", "pytorch": "hand-written PyTorch",
          "keras": "Keras 3 (torch backend)"}


# ---- the engines under test --------------------------------------------------------------------
class RnnkitRunner:
    """rnnkit's NumPy or torch engine; ``compiled=False`` runs the NumPy reference loop (the
    engine before its compiled kernels), switched per call since the switch is global."""

    def __init__(self, w: Workload, engine: str, compiled: bool = True):
        import rnnkit
        from rnnkit import kernels
        rnnkit.set_random_seed(0)
        self.model = rnnkit.Sequential([rnnkit.Input(w.input_shape)] + w.layers(rnnkit.layers))
        self.model.compile(optimizer=rnnkit.optimizers.RMSprop(1e-4), loss=w.loss,
                           engine=engine)
        self.x, self.y = w.data()
        self.kernels, self.compiled = kernels, compiled and kernels.AVAILABLE

    def _run(self, fn, *args):
        saved = self.kernels.enabled()
        self.kernels.set_enabled(self.compiled)
        try:
            fn(*args)
        finally:
            self.kernels.set_enabled(saved)

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

    def __init__(self, w: Workload):
        import torch

        import handwritten_torch
        torch.manual_seed(0)
        self.torch = torch
        self.model = handwritten_torch.build(w)
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
        self.loss = (torch.nn.BCEWithLogitsLoss() if w.classes == 1
                     else torch.nn.CrossEntropyLoss())
        x, y = w.data()
        self.x = torch.from_numpy(x if w.one_hot else x.astype(np.int64))
        self.y = torch.from_numpy(y).reshape(-1, 1) if w.classes == 1 else torch.from_numpy(y)

    def step(self):
        self.model.train()
        self.opt.zero_grad()
        self.loss(self.model(self.x), self.y).backward()
        self.opt.step()

    def predict(self):
        self.model.eval()
        with self.torch.no_grad():
            self.model(self.x)


def make_runner(w: Workload, engine: str):
    if engine in ("numpy", "torch"):
        return RnnkitRunner(w, engine)
    if engine == "numpy-reference":
        return RnnkitRunner(w, "numpy", compiled=False)
    return PyTorchRunner(w) if engine == "pytorch" else KerasRunner(w)


def engine_available(engine: str) -> bool:
    import importlib.util
    needs = {"numpy": "numpy", "numpy-reference": "numpy", "torch": "torch", "pytorch": "torch",
             "keras": "keras"}[engine]
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
    for _ in range(repeats):
        for engine, runner in runners.items():
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
           "--torch-threads", str(args.torch_threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        print(f"  memory probe failed for {w.key}/{engine}: {done.stderr.strip()[-200:]}",
              file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"]


# ---- report -----------------------------------------------------------------------------------------
HEADER = ("workload", "engine", "ms/step", "× PyTorch", "ms/sample (predict)", "peak MiB",
          "GFLOP/s")


def rows_for(w: Workload, speed: dict, memory: dict) -> list[tuple]:
    reference = speed.get("pytorch", {}).get("step_ms")
    rows = []
    for engine, s in speed.items():
        ratio = f"{s['step_ms'] / reference:.2f}" if reference else "–"
        mem = memory.get(engine)
        rows.append((w.key, LABELS[engine], f"{s['step_ms']:.1f}", ratio,
                     f"{s['predict_ms_per_sample']:.3f}", "–" if mem is None else f"{mem:.0f}",
                     f"{s['gflops']:.2f}"))
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
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch.set_num_threads for the torch-based engines (default 1: "
                             "fastest on the 2-core reference machine for these sizes)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--memory-probe", nargs=2, metavar=("WORKLOAD", "ENGINE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if engine_available("torch"):
        import torch
        torch.set_num_threads(args.torch_threads)
    if args.memory_probe:
        key, engine = args.memory_probe
        print(json.dumps({"peak_mib": memory_probe(WORKLOADS[key], engine, steps=3)}))
        return

    engines = [e for e in args.engines.split(",") if engine_available(e)]
    workloads = [WORKLOADS[k] for k in args.workloads.split(",")]
    print(f"# {machine()}\n# engines: {', '.join(LABELS[e] for e in engines)}", flush=True)
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
