"""How long reading and tokenizing the 50,000 labelled aclImdb reviews takes, and the peak memory.

    RNNKIT_DATA=../shared/data python benchmarks/bench_data.py [--repeat N]

Steps timed, each on all 50,000 labelled reviews (train + test):
  read      aclimdb.load_data(): checksum the tar.gz, stream it, decode every review
  fit       Tokenizer().fit_on_texts(texts)       (Keras-exact word counts and ranks)
  convert   tokenizer.texts_to_sequences(texts)   (every review to word ids)
  pad       pad_sequences(sequences, maxlen=100)  (the seed configurations' length)
Also timed: movie_reviews.load_data(), the offline default the main job reads at start-up.
Peak memory is the process's peak resident set size (ru_maxrss), before and after.
Wall time depends on what else the machine runs; the CPU time this process used is printed beside
it (on an idle machine the two agree), so a busy machine shows up as wall >> CPU.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time

import numpy as np


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def timed(label: str, fn, results: dict):
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    results[label] = time.perf_counter() - start
    results[label + "_cpu"] = time.process_time() - cpu
    return out


def run_once(data_dir: str | None) -> dict:
    from rnnkit.datasets import aclimdb
    from rnnkit.preprocessing.sequence import pad_sequences
    from rnnkit.preprocessing.text import Tokenizer

    results: dict = {}
    ds = timed("read", lambda: aclimdb.load_data(data_dir=data_dir), results)
    texts = ds.train.texts + ds.test.texts
    tokenizer = Tokenizer()
    timed("fit", lambda: tokenizer.fit_on_texts(texts), results)
    seqs = timed("convert", lambda: tokenizer.texts_to_sequences(texts), results)
    padded = timed("pad", lambda: pad_sequences(seqs, maxlen=100), results)
    results.update(reviews=len(texts), tokens=sum(map(len, seqs)), vocabulary=len(tokenizer.word_index),
                   padded_shape=padded.shape)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder holding aclImdb_v1.tar.gz (default: RNNKIT_DATA)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the fastest total is reported")
    args = parser.parse_args()

    from rnnkit.data import MissingDataFileError
    from rnnkit.datasets import movie_reviews

    baseline = peak_rss_mb()
    runs = []
    for _ in range(args.repeat):
        try:
            runs.append(run_once(args.data_dir))
        except MissingDataFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    best = min(runs, key=lambda r: r["read"] + r["fit"] + r["convert"])
    total = best["read"] + best["fit"] + best["convert"]
    total_cpu = best["read_cpu"] + best["fit_cpu"] + best["convert_cpu"]
    start = time.perf_counter()
    (x_train, _), (x_test, _) = movie_reviews.load_data()
    movie_s = time.perf_counter() - start

    print(f"machine      : {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}")
    print(f"reviews      : {best['reviews']:,} labelled aclImdb reviews, {best['tokens']:,} tokens, "
          f"vocabulary {best['vocabulary']:,} words")
    print("               wall      CPU")
    print(f"read         : {best['read']:6.2f} s {best['read_cpu']:6.2f} s  (checksum + stream the tar.gz + decode)")
    print(f"fit          : {best['fit']:6.2f} s {best['fit_cpu']:6.2f} s  (Tokenizer.fit_on_texts)")
    print(f"convert      : {best['convert']:6.2f} s {best['convert_cpu']:6.2f} s  (Tokenizer.texts_to_sequences)")
    print(f"read+tokenize: {total:6.2f} s {total_cpu:6.2f} s  (target < 20 s)  {'OK' if total < 20 else 'OVER TARGET'}")
    print(f"pad          : {best['pad']:6.2f} s  (pad_sequences maxlen=100 -> {best['padded_shape']})")
    print(f"movie_reviews: {movie_s:6.2f} s  (load_data(): {len(x_train):,} train / {len(x_test):,} test)")
    print(f"peak memory  : {peak_rss_mb():6.0f} MiB resident (after imports: {baseline:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
