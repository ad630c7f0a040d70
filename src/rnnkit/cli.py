"""The ``rnnkit`` command: train, evaluate, predict, compare, summary, recipes.

    rnnkit train                         # the default recipe on the embedded movie reviews
    rnnkit train lstm --set train.epochs=5
    rnnkit predict runs/default-… "A wonderful, moving film."
    rnnkit evaluate runs/default-… --data reviews.csv
    rnnkit compare lstm gru --out reports/rnn
    rnnkit summary bigru
    rnnkit recipes

Errors the user can fix (unknown recipe or key, missing run files, empty text, mismatched classes)
print one line saying what is wrong and how to fix it, and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from .workflow import commands

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnkit", description="Train, evaluate and use "
                                     "recurrent text classifiers from recipes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = sub.add_parser("train", help="train a recipe into a run directory")
    train.add_argument("recipe", nargs="?", default="default",
                       help="a recipe name (see `rnnkit recipes`) or a .toml file")
    _add_set(train)
    _add_runs_dir(train)
    train.add_argument("--run-dir", type=Path, help="write into this directory instead of "
                       "a new runs/<recipe>-<time>")
    train.add_argument("--engine", choices=("numpy", "torch"), default="numpy")
    train.add_argument("--device", default="auto", help="torch engine: auto, cpu or cuda")
    train.add_argument("--nproc", type=int, default=1, help="torch engine: data-parallel "
                       "processes on this machine (DDP)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    evaluate = sub.add_parser("evaluate", help="evaluate a run on its test set or other data")
    evaluate.add_argument("run", type=Path)
    evaluate.add_argument("--data", help="movie_reviews, aclimdb, reuters21578, or a "
                          "CSV/TSV/JSONL file of texts and labels (default: the run's test set)")
    evaluate.add_argument("--text-column", default="text")
    evaluate.add_argument("--label-column", default="label")

    predict = sub.add_parser("predict", help="classify raw texts with a run's model")
    predict.add_argument("run", type=Path)
    predict.add_argument("texts", nargs="*", help="texts to classify ('-' reads standard input)")
    predict.add_argument("--file", type=Path, help="a file with one text per line")
    predict.add_argument("--top", type=int, default=3, help="classes shown for multi-class")

    compare = sub.add_parser("compare", help="run or read recipes and write a report")
    compare.add_argument("items", nargs="+", metavar="RECIPE_OR_RUN")
    compare.add_argument("--out", type=Path, default=Path("reports/compare"))
    compare.add_argument("--rerun", action="store_true", help="train even if a finished run "
                         "of the recipe exists")
    _add_set(compare)
    _add_runs_dir(compare)

    summary = sub.add_parser("summary", help="print a recipe's or a run's model summary")
    summary.add_argument("item", metavar="RECIPE_OR_RUN")
    _add_set(summary)

    sub.add_parser("recipes", help="list the shipped recipes")
    return parser


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a recipe key, e.g. train.epochs=5")


def _add_runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"),
                        help="where run directories go (default: ./runs)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return commands.COMMANDS[args.command](args)
    except BrokenPipeError:  # `rnnkit recipes | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except commands.USER_ERRORS as e:
        print(f"rnnkit {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
