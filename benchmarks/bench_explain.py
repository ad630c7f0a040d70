"""Explanations on real reviews: the integrated-gradients steps that completeness needs, the
NumPy engine against torch autograd, and misclassified reviews worth explaining.

    RNNKIT_DATA=../shared/data python benchmarks/bench_explain.py runs/imdb-gru runs/imdb-lstm

For each run (a run directory or model file that reads raw text) and a seeded sample of the
aclImdb test reviews: every review's integrated gradients at each step count, and the relative
completeness gap |Σ attributions − (p − p_baseline)| / |p − p_baseline| (reviews whose change is
below 0.01 are counted apart: a relative gap means little there, their absolute gap is shown),
then the same for the default, which doubles the steps until the gap is within 1%;
then the largest |NumPy − torch| attribution at the default steps on the first reviews; then
the sample's misclassified reviews, shortest first, with the command that explains one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def test_reviews(n: int, seed: int):
    """(texts, labels, ids, ratings) of n test reviews drawn without replacement."""
    from rnnkit.data.aclimdb import load_data
    test = load_data(download=False).test
    pick = np.random.default_rng(seed).choice(len(test.texts), n, replace=False)
    return ([test.texts[i] for i in pick], test.labels[pick], [test.ids[i] for i in pick],
            test.meta["rating"][pick])


def completeness(classifier, texts, steps_list) -> None:
    """One table row per fixed step count, then the default (doubling from 64 until the
    attributions add up within 1%) with the steps it took."""
    print("| steps | median gap | 99th pct | max gap | within 1% | small changes (abs gap max) "
          "| ms / review |\n|---:|---:|---:|---:|---:|---:|---:|")
    for steps in [*steps_list, None]:
        rel, small, used, start = [], [], [], time.perf_counter()
        for text in texts:
            e = classifier.explain(text, steps=steps)
            change = e.probability - e.baseline_probability
            gap = abs(e.completeness_gap)
            (rel.append(gap / abs(change)) if abs(change) >= 0.01 else small.append(gap))
            used.append(e.steps)
        ms = 1000 * (time.perf_counter() - start) / len(texts)
        rel = np.array(rel)
        label = steps or (f"default: {int(np.median(used))} median, {max(used)} max, "
                          f"{np.mean(np.array(used) > 64):.0%} > 64")
        print(f"| {label} | {np.median(rel):.2e} | {np.quantile(rel, 0.99):.2e} | "
              f"{rel.max():.2e} | {np.mean(rel <= 0.01):.1%} of {len(rel)} | {len(small)} "
              f"({max(small, default=0):.1e}) | {ms:.0f} |")


def engines_agree(classifier, texts) -> tuple[float, float]:
    """(largest |NumPy − torch| attribution, the same over the largest |attribution|)."""
    worst, relative = 0.0, 0.0
    for text in texts:
        a, b = (np.array(classifier.explain(text, engine=engine).attributions, dtype=float)
                for engine in ("numpy", "torch"))
        diff = float(np.nanmax(np.abs(a - b)))
        worst, relative = max(worst, diff), max(relative, diff / np.nanmax(np.abs(a)))
    return worst, relative


def misclassified(classifier, run, texts, labels, ids, ratings, show: int) -> None:
    p = classifier.predict_proba(texts)
    wrong = [i for i in range(len(texts)) if p[i].argmax() != labels[i]]
    wrong.sort(key=lambda i: len(texts[i].split()))
    print(f"\n{len(wrong)} of {len(texts)} misclassified; the shortest:")
    for i in wrong[:show]:
        split, folder, review_id = ids[i].split("/")
        member = f"aclImdb/{split}/{folder}/{review_id}_{ratings[i]}.txt"
        print(f"  {member}: {len(texts[i].split())} words, true {folder}, "
              f"p(true) {p[i][labels[i]]:.3f}\n    tar -xzOf \"$RNNKIT_DATA/aclImdb_v1.tar.gz\" "
              f"{member} | rnnkit explain {run} -")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--reviews", type=int, default=200)
    parser.add_argument("--steps", type=int, nargs="+", default=[16, 64, 256, 1024, 4096])
    parser.add_argument("--torch-reviews", type=int, default=20)
    parser.add_argument("--show", type=int, default=5, help="misclassified reviews listed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from rnnkit.classifier import load_classifier
    texts, labels, ids, ratings = test_reviews(args.reviews, args.seed)
    print(f"{args.reviews} aclImdb test reviews (seed {args.seed}), "
          f"RNNKIT_DATA={os.environ.get('RNNKIT_DATA')}")
    for run in args.runs:
        classifier = load_classifier(run)
        layers = ", ".join(type(layer).__name__ for layer in classifier.model_.compute_layers)
        print(f"\n## {run} ({layers})\n")
        completeness(classifier, texts, args.steps)
        if args.torch_reviews:
            worst, relative = engines_agree(classifier, texts[:args.torch_reviews])
            print(f"\nlargest |NumPy − torch| attribution over {args.torch_reviews} reviews: "
                  f"{worst:.1e} ({relative:.1e} of the review's largest |attribution|)")
        misclassified(classifier, run, texts, labels, ids, ratings, args.show)


if __name__ == "__main__":
    main()
