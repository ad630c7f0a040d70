"""The ``rnnkit`` command: train, evaluate, predict, explain, compare, summary, recipes,
export, gradients, inspect, serve.

    rnnkit train                         # the default recipe on the embedded movie reviews
    rnnkit train --data mine.csv --test-data test.csv --text-column review
    rnnkit predict runs/default-… "A wonderful, moving film."
    rnnkit evaluate runs/default-… --data reviews.csv
    rnnkit explain runs/default-… "A dull plot, but wonderful acting." --html why.html
    rnnkit compare lstm gru --out reports/rnn
    rnnkit export runs/default-… --format onnx
    rnnkit gradients simplernn --length 200
    rnnkit inspect runs/default-… "A wonderful, moving film."
    rnnkit serve runs/default-… --port 8000

Errors the user can fix (rnnkit's own ``UserError``: a bad value, file, column or class name)
print one line naming the problem and the flag that fixes it, and exit with status 2; any other
exception is a bug and keeps its traceback. ``--debug`` (or RNNKIT_DEBUG=1) shows the traceback
of user errors too.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from . import __version__
from .data import sources
from .engines.process_rank import is_writer
from .errors import UserError
from .workflow import commands
from .workflow.inputs import mark_files
from .workflow.validate import CLI_SPELLING

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


class _Help(argparse.RawDescriptionHelpFormatter):
    """Shows an option's default in its help, when it has a meaningful one."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, [], argparse.SUPPRESS) and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, like every other rnnkit error (not argparse's usage block)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Intermixed(_Parser):
    """A subcommand's parser that takes options anywhere, also after positional texts."""

    _mixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._mixing:  # parse_known_intermixed_args calls back in here (Python < 3.13)
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="show the traceback of errors too (or set RNNKIT_DEBUG=1)")
    parser = _Parser(prog="rnnkit", formatter_class=_Help,
                                     description="Train, evaluate and use recurrent text "
                                     "classifiers from recipes or your own data.")
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Intermixed)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common],
                              formatter_class=_Help)

    _train_options(command("train", "train a recipe (or your own data) into a run directory"))
    _evaluate_options(command("evaluate", "evaluate a run on its test set or other data"))
    _predict_options(command("predict", "classify raw texts with a run's model"))
    _explain_options(command("explain", "show which words of a text decided the prediction"))
    _compare_options(command("compare", "train or read runs and write a comparison report"))
    _export_options(command("export", "write a run's model as an ONNX file (or a .keras file "
                            "Keras loads), with its text encoding beside it"))
    summary = command("summary", "print a recipe's or a run's model summary")
    summary.add_argument("item", metavar="RECIPE_OR_RUN", help="a recipe name, .toml file or "
                         "run directory")
    _add_set(summary)
    command("recipes", "list the shipped recipes")
    _gradients_options(command("gradients", "how far back in time SimpleRNN, LSTM and GRU get "
                               "gradient, before and after a short training (figure, CSV, JSON)"))
    _inspect_options(command("inspect", "gates and states of a run's recurrent layers over one "
                             "text (heatmaps and JSON)"))
    _serve_options(command("serve", "serve a run's model over HTTP: a JSON API, metrics and a "
                           "web page (needs rnnkit[serve])"))
    return parser


def _train_options(train: argparse.ArgumentParser) -> None:
    train.add_argument("recipe", nargs="?", help="a recipe name (see `rnnkit recipes`), a .toml "
                       "file, or a run's config.json to re-run it (default: default; with "
                       "--resume: the run's config.json)")
    data = train.add_argument_group("your own data (each flag sets the data.* key named)")
    data.add_argument("--data", metavar="FILE", help="train on this CSV/TSV/JSONL file of texts "
                      "and labels (data.path; sets data.source = 'file')")
    data.add_argument("--test-data", metavar="FILE", help="test on this file (data.test_path); "
                      "without it a stratified data.test_split of --data is held out")
    _file_options(data, "data.{key}; default: the recipe's, {default}")
    _add_set(train)
    where = train.add_argument_group("where the run goes")
    _add_runs_dir(where)
    where.add_argument("--run-dir", type=Path, help="write into this directory instead of a "
                       "new RUNS_DIR/<recipe>-<time>")
    where.add_argument("--overwrite", action="store_true", help="replace the run already in "
                       "--run-dir (refused without it)")
    where.add_argument("--resume", type=Path, metavar="RUN", help="continue the unfinished run "
                       "RUN (stopped by Ctrl-C, a crash, kill -9, a full disk) from its last "
                       "backup, ending as it would have uninterrupted; --set train.epochs=N may "
                       "change its length, nothing else")
    where.add_argument("--backup-every", type=int, default=0, metavar="BATCHES",
                       help="back the training state up every BATCHES batches too, not only at "
                       "each epoch's end, so --resume loses less of a long epoch (0: epochs only)")
    train.add_argument("--engine", choices=("numpy", "torch"), default="numpy",
                       help="numpy: the from-scratch engine; torch: PyTorch")
    train.add_argument("--device", default="auto", help="torch engine: auto, cpu, cuda or cuda:N")
    train.add_argument("--nproc", type=int, default=1, help="torch engine: data-parallel "
                       "processes on this machine (DDP)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--print-config", action="store_true", help="print the resolved "
                       "config as TOML (recipe, --set and flags applied) and exit")


def _evaluate_options(evaluate: argparse.ArgumentParser) -> None:
    evaluate.add_argument("run", type=Path, help="a run directory")
    named = [name for name, source in sources.registered().items() if not source.file_keys]
    evaluate.add_argument("--data", help=f"{', '.join(named)}, or a CSV/TSV/JSONL file of "
                          f"texts and labels (default: the run's test set)")
    _file_options(evaluate, "default: the run's")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _predict_options(predict: argparse.ArgumentParser) -> None:
    predict.add_argument("run", type=Path, metavar="RUN", help="a run directory, or a model "
                         "file that reads raw text (a run's model.keras)")
    predict.add_argument("texts", nargs="*", metavar="TEXT", help="texts to classify ('-' reads "
                         "standard input, one text per line); read in the order given")
    predict.add_argument("--file", metavar="PATH", help="a file with one text per line ('-' "
                         "for standard input); may be repeated, keeps its place among the texts")
    predict.add_argument("--encoding", default="utf-8", help="text encoding of files and "
                         "standard input")
    predict.add_argument("--json", action="store_true", help="one JSON object per text (JSON "
                         "Lines): label, probabilities, known/unknown tokens, truncation")
    predict.add_argument("--top", type=int, default=3, help="classes shown for multi-class")


def _export_options(export: argparse.ArgumentParser) -> None:
    export.add_argument("run", type=Path, metavar="RUN", help="a run directory, or a model "
                        "file that reads raw text (a run's model.keras, a saved TextClassifier)")
    export.add_argument("--format", choices=("onnx", "keras"), default="onnx",
                        help="onnx, or keras: the model from the ids on (without its text "
                        "encoding layer, which Keras lacks) as a .keras file Keras 3 loads")
    export.add_argument("--out", type=Path, metavar="FILE", help="the model file (default: "
                        "RUN/model.onnx or RUN/model-ids.keras); FILE's stem + "
                        ".preprocessing.json goes beside it")
    export.add_argument("--overwrite", action="store_true", help="replace files that exist "
                        "(refused without it)")


def _explain_options(explain: argparse.ArgumentParser) -> None:
    from .insight.attributions import METHODS
    explain.add_argument("run", type=Path, metavar="RUN", help="a run directory, or a model "
                         "file that reads raw text (a run's model.keras)")
    explain.add_argument("text", metavar="TEXT", help="the text to explain ('-' reads all of "
                         "standard input as one text)")
    explain.add_argument("--method", choices=METHODS, default=METHODS[0],
                         help="how each word's share is measured (docs/insight.md)")
    explain.add_argument("--steps", type=int, help="integrated gradients: this many trapezoid "
                         "intervals from the baseline to the text (default: 64, doubled until "
                         "the attributions add up within 1%%, at most 4096)")
    explain.add_argument("--target", metavar="CLASS", help="explain this class (a class name "
                         "or label value) instead of the predicted one")
    explain.add_argument("--engine", choices=("numpy", "torch"), default="numpy",
                         help="whose gradient: the NumPy engine's backward pass or torch autograd")
    explain.add_argument("--json", action="store_true", help="print the explanation as one "
                         "JSON object: tokens, statuses, attributions, prediction, baseline")
    explain.add_argument("--html", type=Path, metavar="FILE", help="also write a "
                         "self-contained HTML page of the coloured text")
    explain.add_argument("--overwrite", action="store_true", help="replace an existing --html "
                         "file (refused without it)")


def _compare_options(compare: argparse.ArgumentParser) -> None:
    compare.add_argument("items", nargs="+", metavar="RECIPE_OR_RUN",
                         help="recipe names (their newest finished run, or a new one) or runs")
    compare.add_argument("--out", type=Path, default=Path("reports/compare"),
                         help="the report's folder")
    compare.add_argument("--rerun", action="store_true", help="train even if a finished run "
                         "of the recipe exists")
    _add_set(compare)
    _add_runs_dir(compare)


def _gradients_options(gradients: argparse.ArgumentParser) -> None:
    gradients.add_argument("item", metavar="RECIPE_OR_RUN", help="a recipe name or .toml file "
                           "(its sizes and data), or a run directory (its cell trained)")
    gradients.add_argument("--length", type=int, help="T, the steps measured: the last T tokens "
                           "of test texts that fill them (default: the encoding's maxlen)")
    gradients.add_argument("--reviews", type=int, default=64, help="test texts measured")
    gradients.add_argument("--train-size", type=int, default=10000, help="training texts of "
                           "the short training")
    gradients.add_argument("--epochs", type=int, default=3, help="epochs of the short training")
    gradients.add_argument("--out", type=Path, help="the folder for gradients.png, .csv and "
                           ".json (default: reports/gradients-<recipe or run>)")
    gradients.add_argument("--overwrite", action="store_true", help="replace those files if "
                           "they exist (refused without it)")
    _add_set(gradients)


def _inspect_options(inspect: argparse.ArgumentParser) -> None:
    inspect.add_argument("run", type=Path, metavar="RUN", help="a run directory, or a model "
                         "file that reads raw text")
    inspect.add_argument("text", help="the text to read")
    inspect.add_argument("--out", type=Path, help="the folder for one heatmap PNG per layer and "
                         "direction and inspect.json (default: reports/inspect-<run>)")
    inspect.add_argument("--json", action="store_true", help="print the JSON document instead "
                         "of the summary")
    inspect.add_argument("--overwrite", action="store_true", help="replace those files if they "
                         "exist (refused without it)")


def _serve_options(serve: argparse.ArgumentParser) -> None:
    from .serve.limits import MEANINGS, Limits
    serve.add_argument("run", type=Path, metavar="RUN", help="a run directory, or a model file "
                       "that reads raw text")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on "
                       "(0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="the port (0: any free one)")
    serve.add_argument("--workers", type=int, default=1, help="server processes, each with "
                       "the model loaded")
    limits = serve.add_argument_group("limits (docs/serving.md)")
    for name, flag in commands.SERVE_FLAGS.items():
        default = getattr(Limits, name)
        metavar = {"timeout_s": "SECONDS", "batch_wait_ms": "MS"}.get(name, "N")
        limits.add_argument(flag, type=type(default), default=default, dest=name, metavar=metavar,
                            help=f"the most {MEANINGS[name]}" if name != "batch_wait_ms"
                            else MEANINGS[name])
    limits.add_argument("--no-batching", action="store_true", help="one forward pass per "
                        "request (to compare with micro-batching)")
    serve.add_argument("--no-access-log", action="store_true", help="no line per request "
                       "on the console")


#: flags reading a labelled file: flag, metavar or choices, what it is, its data.* key, default
_FILE_FLAGS = (("--text-column", "NAME", "the column holding the texts", "text_column", "text"),
               ("--label-column", "NAME", "the column holding the labels", "label_column",
                "label"),
               ("--format", ("csv", "tsv", "jsonl"), "the files' format", "format",
                "from the file suffix"),
               ("--encoding", "NAME", "the files' text encoding, e.g. cp949 or latin-1",
                "file_encoding", "utf-8"),
               ("--empty", ("error", "drop", "keep"), "what a row with an empty text does: stop "
                "with an error, be dropped, or be kept", "empty", "error"))


def _file_options(parser, default_note: str) -> None:
    """The flags that say how to read a labelled file; ``default_note`` says where their
    defaults come from (``{key}`` and ``{default}`` are filled in)."""
    for flag, kind, what, key, default in _FILE_FLAGS:
        choice = {"choices": kind} if isinstance(kind, tuple) else {"metavar": kind}
        parser.add_argument(flag, **choice, help=f"{what} "
                            f"({default_note.format(key=key, default=default)})")


def _add_set(parser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a recipe key, e.g. train.epochs=5 "
                        "(repeatable; see --print-config for every key)")


def _add_runs_dir(parser) -> None:
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"),
                        help="where new run directories go")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Options may come anywhere on the line, and predict's sources keep their order."""
    argv = list(argv)
    if "predict" in argv:
        at = argv.index("predict")
        argv = argv[:at + 1] + mark_files(argv[at + 1:])
    return _parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    debug = args.debug or os.environ.get("RNNKIT_DEBUG", "") not in ("", "0")
    try:
        return commands.COMMANDS[args.command](args)
    except BrokenPipeError:  # `rnnkit recipes | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UserError as e:
        if debug:
            raise
        if is_writer():     # in a data-parallel run every process meets the mistake: one says it
            print(f"rnnkit {args.command}: error: {e.render(CLI_SPELLING)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
