"""What each ``rnnkit`` subcommand does, given its parsed arguments (cli.py parses)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..data.errors import DataError
from ..engines.process_rank import is_writer
from . import recipes, runs
from .encoders import EncoderError
from .predict import PredictError, display_names, format_prediction, predict_texts
from .recipes import RecipeError
from .runs import Run, RunError

#: errors a user can fix from the message alone: printed as one line, exit status 2
USER_ERRORS = (RecipeError, RunError, PredictError, EncoderError, DataError, ValueError,
               FileNotFoundError, ImportError)


class ClassMismatchError(ValueError):
    """The evaluation data's classes are not the model's."""


# ---- train ---------------------------------------------------------------------------------------
def train(args: argparse.Namespace) -> int:
    config = recipes.load(args.recipe, args.overrides)
    if args.nproc > 1:
        return _train_distributed(args, config)
    run_dir = args.run_dir or (runs.new_run_dir(args.runs_dir, config["name"]) if is_writer()
                               else None)
    if run_dir is None:
        raise ValueError("a data-parallel process needs --run-dir; start it with --nproc N")
    run_dir.mkdir(parents=True, exist_ok=True)
    options = {"device": args.device} if args.engine == "torch" else {}
    if is_writer():
        _say(f"Training recipe '{config['name']}' → {run_dir}  (loading data…)")
    from .train import train_run
    result = train_run(config, run_dir, engine=args.engine, engine_options=options,
                       verbose=0 if args.quiet else "auto")
    if is_writer():
        _report_run(result)
    return 130 if result.interrupted else 0


def _train_distributed(args: argparse.Namespace, config: dict) -> int:
    """``--nproc N``: N local processes (torch DDP over gloo/NCCL), one run directory."""
    if args.engine != "torch":
        raise ValueError("--nproc needs the torch engine: add --engine torch")
    from ..engines.torch_engine.distributed import launch
    run_dir = args.run_dir or runs.new_run_dir(args.runs_dir, config["name"])
    argv = ["-m", "rnnkit.cli", "train", args.recipe, "--engine", "torch", "--device",
            args.device, "--run-dir", str(run_dir)] + [f"--set={o}" for o in args.overrides]
    if args.quiet:
        argv.append("--quiet")
    codes = launch(argv, nproc=args.nproc)
    return max(codes)


def _report_run(result) -> None:
    m, where = result.metrics, result.run_dir
    if result.interrupted:
        done = m.get("epochs_run", 0)
        kept = f"best model kept in {where / runs.MODEL}" if (where / runs.MODEL).is_file() \
            else "no epoch finished, so no model was saved"
        _say(f"\nInterrupted after {done} finished epoch(s); {kept}.")
    if "test_accuracy" in m:
        _say(f"\nTest accuracy: {m['test_accuracy']:.4f}  (loss {m['test_loss']:.4f}, "
             f"{m['examples']['test']:,} test examples, best epoch {m['best_epoch']} of "
             f"{m['epochs_run']})")
    _say(f"Run:    {where}\nModel:  {where / runs.MODEL}\nPlots:  {where / runs.CURVES}\n"
         f"Try:    rnnkit predict {where} \"A wonderful, moving film.\"")


def _say(text: str) -> None:
    print(text, flush=True)


# ---- predict -------------------------------------------------------------------------------------
def predict(args: argparse.Namespace) -> int:
    run = Run.open(args.run)
    texts = _texts(args)
    probabilities = predict_texts(run, texts)
    names = display_names(run, probabilities.shape[1])
    for text, p in zip(texts, probabilities):
        line = format_prediction(p, names, args.top)
        _say(line if len(texts) == 1 else f"{line}\t{_short(text)}")
    return 0


def _texts(args: argparse.Namespace) -> list[str]:
    texts = [t for t in args.texts if t != "-"]
    if args.file:
        if not args.file.is_file():
            raise FileNotFoundError(f"--file {args.file} does not exist; pass a text file with "
                                    f"one text per line")
        texts += [line for line in args.file.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    if "-" in args.texts or (not args.texts and not args.file and not sys.stdin.isatty()):
        texts += [line for line in sys.stdin.read().splitlines() if line.strip()]
    return texts


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# ---- evaluate ------------------------------------------------------------------------------------
def evaluate(args: argparse.Namespace) -> int:
    from .data import encode, load_texts
    from .train import evaluate_model
    run = Run.open(args.run)
    model, encoder = run.model(), run.encoder()
    if args.data:
        texts, where = _evaluation_texts(run, args), args.data
    else:
        texts, where = load_texts(run.config["data"]).test, "the run's test set"
        _check_classes(list(texts.class_names), run, where)
    arrays = encode(encoder, texts)
    metrics = evaluate_model(model, arrays.x, arrays.y, run.class_names)
    _say(f"{run.path} on {where} ({len(arrays.y):,} examples): accuracy "
         f"{metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}, macro F1 "
         f"{metrics['macro_f1']:.4f}")
    for name, c in metrics["per_class"].items():
        _say(f"  {name:>16}  precision {c['precision']:.3f}  recall {c['recall']:.3f}  "
             f"F1 {c['f1']:.3f}  ({c['support']})")
    return 0


def _evaluation_texts(run: Run, args: argparse.Namespace):
    """All texts of ``--data`` with labels renumbered to the run's class ids."""
    from ..data.corpus import LabelledTexts
    from ..datasets import custom
    from .data import SOURCES, load_texts
    if args.data in SOURCES[:-1]:
        texts = load_texts({**run.config["data"], "source": args.data}).test
    else:
        texts = custom.read_labelled_file(args.data, text_column=args.text_column,
                                          label_column=args.label_column)
    ids = _check_classes(list(texts.class_names), run, args.data)
    return LabelledTexts(texts.texts, ids[np.asarray(texts.labels)], tuple(run.class_names),
                         texts.ids)


def _check_classes(names: list[str], run: Run, where: str) -> np.ndarray:
    """Map the data's class names onto the run's class ids, or a one-line error."""
    known = run.class_names
    if all(n.isdigit() and int(n) < len(known) for n in names):
        return np.array([int(n) for n in names])  # labels written as the model's class ids
    missing = [n for n in names if n not in known]
    if missing:
        raise ClassMismatchError(
            f"{where} has classes {names} but the model in {run.path} was trained on {known}; "
            f"evaluate on data labelled with those classes (or their ids 0–{len(known) - 1})")
    return np.array([known.index(n) for n in names])


# ---- compare, summary, recipes ---------------------------------------------------------------------
def compare(args: argparse.Namespace) -> int:
    from .report import write_report
    run_dirs = [_finished_run(item, args) for item in args.items]
    report = write_report(run_dirs, args.out)
    _say(f"Report: {report}\n        {args.out / 'report.html'}")
    return 0


def _finished_run(item: str, args: argparse.Namespace) -> Path:
    """A run directory as given, the newest finished run of a recipe, or a new run of it."""
    path = Path(item)
    if path.is_dir():
        Run.open(path)  # a clear error if it is not a run
        return path
    config = recipes.load(item, args.overrides)
    latest = None if args.rerun or args.overrides else runs.latest_run(args.runs_dir, item)
    if latest is not None:
        _say(f"{item}: using the finished run {latest}")
        return latest
    from .train import train_run
    run_dir = runs.new_run_dir(args.runs_dir, config["name"])
    _say(f"{item}: training → {run_dir}")
    train_run(config, run_dir)
    return run_dir


def summary(args: argparse.Namespace) -> int:
    path = Path(args.item)
    if path.is_dir():
        model = Run.open(path).model()
    else:
        from .build import build_model
        from .data import input_shape
        config = recipes.load(args.item, args.overrides)
        model = build_model(config, input_shape(config["data"]), n_classes=None)
    model.summary()
    return 0


def list_recipes(args: argparse.Namespace) -> int:
    infos = recipes.available()
    width = max(len(r.name) for r in infos)
    for info in infos:
        figure = recipes.reported_text(recipes.load(info.name))
        _say(f"{info.name:<{width}}  {info.description}" + (f"  [material: {figure}]"
                                                             if figure else ""))
    return 0


COMMANDS = {"train": train, "evaluate": evaluate, "predict": predict, "compare": compare,
            "summary": summary, "recipes": list_recipes}
