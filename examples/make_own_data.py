"""Write a folder of "your own data" to try ``rnnkit train --data`` on, from the reviews that
ship with rnnkit: ``train.csv`` and ``test.csv`` with the columns ``review`` and ``sentiment``
(labels ``negative`` / ``positive``), as a spreadsheet or a scraper would write them.

    python examples/make_own_data.py my_data            # 10,000 training and 2,000 test reviews
    python examples/make_own_data.py my_data --train 4000 --test 1000
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from rnnkit.datasets import movie_reviews

LABELS = {0: "negative", 1: "positive"}


def write(path: Path, texts, labels) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "sentiment"])
        writer.writerows((text, LABELS[int(label)]) for text, label in zip(texts, labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where train.csv and test.csv go")
    parser.add_argument("--train", type=int, default=10000, help="training reviews")
    parser.add_argument("--test", type=int, default=2000, help="test reviews")
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = movie_reviews.load_data(seed=7)
    args.folder.mkdir(parents=True, exist_ok=True)
    write(args.folder / "train.csv", x_train[:args.train], y_train[:args.train])
    write(args.folder / "test.csv", x_test[:args.test], y_test[:args.test])
    print(f"wrote {args.folder / 'train.csv'} ({args.train:,} reviews) and "
          f"{args.folder / 'test.csv'} ({args.test:,})")


if __name__ == "__main__":
    main()
