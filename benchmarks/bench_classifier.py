"""Use a trained model: a loaded ``TextClassifier`` beside ``rnnkit predict``, checked and timed.

    python benchmarks/bench_classifier.py                       # trains the main job first
    python benchmarks/bench_classifier.py --run runs/default-…  # an existing run

Checks first (issue 13's done-means 1), on held-out reviews: the classifier's
``predict_proba`` equals ``rnnkit predict --json`` (a separate process) and ``model.predict`` on
ids made by Keras's own Tokenizer (keras-preprocessing) from the run's vocabulary.json and Keras's
``pad_sequences`` — the largest absolute difference is printed and must be ≤ 1e-6.

Then times, min / median / max over repeats, all in this run:
- loading: ``load_classifier(run)`` in this process;
- one review, warm: ``predict_proba([review])`` on a loaded classifier;
- a batch of 256 reviews, warm;
- the CLI: ``rnnkit predict RUN "review"`` as a new process per call (imports, loading, one text).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
os.environ.setdefault("KERAS_BACKEND", "torch")   # Keras is the oracle here, on its torch backend
sys.path.insert(0, str(SRC))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}


def reviews(n: int) -> list[str]:
    """The last ``n`` embedded reviews, on one line each (the CLI reads a text per line)."""
    from rnnkit.datasets import movie_reviews
    texts = list(movie_reviews.load_reviews().texts)[-n:]
    return [" ".join(t.split()) for t in texts]


def keras_probabilities(run: Path, texts: list[str]) -> np.ndarray:
    from keras.utils import pad_sequences
    from keras_preprocessing.text import tokenizer_from_json

    from rnnkit.models import load_model
    vocabulary = json.loads((run / "vocabulary.json").read_text(encoding="utf-8"))
    tokenizer = tokenizer_from_json(json.dumps(vocabulary["tokenizer"]))
    ids = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=vocabulary["maxlen"])
    out = load_model(run / "model.keras").predict(ids, batch_size=256, verbose=0)
    return np.concatenate([1 - out, out], axis=1) if out.shape[1] == 1 else out


def cli_probabilities(run: Path, texts: list[str], names) -> np.ndarray:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
    out = subprocess.run([sys.executable, "-m", "rnnkit", "predict", str(run), "--json",
                          "--file", f.name], env=ENV, check=True, capture_output=True, text=True)
    os.unlink(f.name)
    records = [json.loads(line) for line in out.stdout.splitlines()]
    return np.array([[r["probabilities"][n] for n in names] for r in records])


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def row(what: str, seconds: list[float]) -> str:
    ms = [1000 * s for s in seconds]
    return (f"| {what} | {min(ms):.2f} | {statistics.median(ms):.2f} | {max(ms):.2f} | "
            f"{len(ms)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="a finished run (default: train the main job)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    run = args.run or train_main_job()

    from rnnkit import load_classifier
    texts = reviews(500)
    load_times = timed(lambda: load_classifier(run), 5)
    classifier = load_classifier(run)
    got = classifier.predict_proba(texts)
    diff_cli = np.abs(got - cli_probabilities(run, texts, classifier.classes_)).max()
    diff_keras = np.abs(got - keras_probabilities(run, texts)).max()
    print(f"run {run}: {len(texts)} reviews; max |classifier − predict --json| = {diff_cli:.2e}, "
          f"max |classifier − model.predict(Keras ids)| = {diff_keras:.2e}")
    assert diff_cli <= 1e-6 and diff_keras <= 1e-6

    one, batch = texts[:1], texts[:256]
    classifier.predict_proba(batch)                      # warm: compiled loops loaded
    cli = [sys.executable, "-m", "rnnkit", "predict", str(run), one[0]]
    print("\n| what | min ms | median ms | max ms | runs |\n|---|---|---|---|---|")
    print(row("load_classifier(run)", load_times))
    print(row("one review, loaded classifier (warm)", timed(
        lambda: classifier.predict_proba(one), args.repeats)))
    print(row("256 reviews, loaded classifier (warm)", timed(
        lambda: classifier.predict_proba(batch), max(3, args.repeats // 5))))
    print(row("`rnnkit predict RUN \"review\"` (new process per call)", timed(
        lambda: subprocess.run(cli, env=ENV, check=True, capture_output=True), 5)))


def train_main_job() -> Path:
    runs = Path(tempfile.mkdtemp(prefix="bench-classifier-"))
    subprocess.run([sys.executable, "-m", "rnnkit", "train", "--quiet", "--runs-dir", str(runs)],
                   env=ENV, check=True, stdout=subprocess.DEVNULL)
    (run,) = runs.iterdir()
    return run


if __name__ == "__main__":
    main()
