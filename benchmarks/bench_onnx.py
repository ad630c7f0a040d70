"""Inference latency: onnxruntime on the exported graph against rnnkit's own inference, for one
review and for a batch of 256, on a recipe's model (default: the main job's, ``default``).

    python benchmarks/bench_onnx.py                       # the default recipe's model
    python benchmarks/bench_onnx.py --recipe bigru --repeats 30

The model is the recipe's architecture with its initial (random) weights: latency does not
depend on the weights. It is saved as ``.keras`` and loaded back, as ``rnnkit predict`` loads a
run, then exported with ``model.export(format="onnx")``. Inputs are token ids of the recipe's
maxlen (random words, pre-padded, 100 to maxlen of them). Conditions, timed in interleaved
rounds so that a busy moment of a shared machine hits them all alike:

* rnnkit ``model.predict(x, batch_size=256)`` — the Keras loop (what ``predict_texts`` calls);
* rnnkit ``model(x)`` — the engine's forward alone, the model's pure inference;
* onnxruntime ``InferenceSession.run`` with 1 and with 2 intra-op threads;

rnnkit with 1 thread and with 2 (``rnnkit.parallel.set_threads``). Prints min and median
milliseconds, and the largest difference between rnnkit's and onnxruntime's outputs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

import rnnkit
from rnnkit import parallel
from rnnkit.workflow import recipes
from rnnkit.workflow.build import build_model
from rnnkit.workflow.data import input_shape
from rnnkit.workflow.validate import check_config


def recipe_model(name: str, folder: Path):
    """(the recipe's model saved and loaded back, its ONNX file, maxlen, vocabulary size)."""
    config = recipes.load(name)
    check_config(config)
    data = config["data"]
    if data["onehot"]:
        raise SystemExit(f"recipe {name!r} feeds one-hot vectors; pick a recipe with token ids")
    model = build_model(config, input_shape(data), n_classes=2)
    model.save(folder / "model.keras")
    loaded = rnnkit.models.load_model(folder / "model.keras")
    loaded.export(folder / "model.onnx", format="onnx", verbose=False)
    return loaded, folder / "model.onnx", data["maxlen"], data["num_words"]


def reviews(n: int, maxlen: int, vocabulary: int, rng) -> np.ndarray:
    x = np.zeros((n, maxlen), np.int64)
    for row in x:
        length = rng.integers(min(100, maxlen), maxlen + 1)
        row[maxlen - length:] = rng.integers(1, vocabulary, length)
    return x


def session(path: Path, threads: int):
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def conditions(model, onnx_path: Path) -> dict:
    """Name → function of x returning the (n, 1) probabilities."""
    def with_threads(n, fn):
        def run(x):
            parallel.set_threads(n)
            try:
                return fn(x)
            finally:
                parallel.set_threads(None)
        return run

    found = {}
    for n in (1, 2):
        found[f"rnnkit `model.predict`, {n} thread{'s' * (n > 1)}"] = with_threads(
            n, lambda x: model.predict(x, batch_size=256, verbose=0))
    for n in (1, 2):
        found[f"rnnkit `model(x)`, {n} thread{'s' * (n > 1)}"] = with_threads(n, model)
    for n in (1, 2):
        s = session(onnx_path, n)
        found[f"onnxruntime, {n} intra-op thread{'s' * (n > 1)}"] = \
            lambda x, s=s: s.run(None, {"token_ids": x})[0]
    return found


def timed(fn, x) -> float:
    started = time.perf_counter()
    fn(x)
    return time.perf_counter() - started


def measure(found: dict, x: np.ndarray, repeats: int) -> dict:
    """Name → seconds of each round (after one untimed call each)."""
    for fn in found.values():
        fn(x)
    times = {name: [] for name in found}
    for _ in range(repeats):
        for name, fn in found.items():
            times[name].append(timed(fn, x))
    return times


def cell(seconds) -> str:
    return f"{min(seconds) * 1e3:.2f} / {statistics.median(seconds) * 1e3:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="default", help="the recipe whose model is timed")
    parser.add_argument("--repeats", type=int, default=40, help="timed rounds per workload")
    parser.add_argument("--batch", type=int, default=256, help="the batch workload's size")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        model, onnx_path, maxlen, vocabulary = recipe_model(args.recipe, Path(folder))
        found = conditions(model, onnx_path)
        workloads = {"one review": reviews(1, maxlen, vocabulary, rng),
                     f"batch of {args.batch}": reviews(args.batch, maxlen, vocabulary, rng)}
        results = {w: measure(found, x, args.repeats) for w, x in workloads.items()}
        differences = [np.abs(fn(x) - model.predict(x, verbose=0)).max()
                       for x in workloads.values() for fn in found.values()]
    layers = " → ".join(type(layer).__name__ for layer in model.layers)
    print(f"recipe {args.recipe!r} ({layers}, maxlen {maxlen}), {args.repeats} rounds; "
          f"onnxruntime {ort.__version__}, rnnkit {rnnkit.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; largest |rnnkit − onnxruntime| {max(differences):.1e}\n")
    print("| ms, min / median | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in found:
        print(f"| {name} | " + " | ".join(cell(results[w][name]) for w in results) + " |")


if __name__ == "__main__":
    main()
