"""What each ``rnnkit`` subcommand does, given its parsed arguments (cli.py parses)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..engines.process_rank import is_writer, world_size
from ..errors import UserError
from . import recipes, runs
from .inputs import read_rows
from .predict import format_row
from .runs import Run

EXIT_SOME_ROWS_FAILED = 1


class UsageError(UserError, ValueError):
    """Options that do not go together, or that this machine cannot honour."""


# ---- train ---------------------------------------------------------------------------------------
#: ``rnnkit train`` flags that set a ``[data]`` key (argparse dest → key)
DATA_FLAGS = {"data": "path", "test_data": "test_path", "text_column": "text_column",
              "label_column": "label_column", "format": "format", "encoding": "file_encoding",
              "empty": "empty"}


def resolve_config(args: argparse.Namespace) -> dict:
    """The recipe, then ``--set`` overrides, then the data flags (``--data`` implies a file)."""
    values = {f"data.{key}": getattr(args, dest) for dest, key in DATA_FLAGS.items()
              if getattr(args, dest) is not None}
    if args.data is not None:
        values["data.source"] = "file"
    return recipes.load(args.recipe or "default", args.overrides, values)


def given_options(args: argparse.Namespace) -> list[str]:
    """How this run differs from its recipe, as the user wrote it (for metrics and reports)."""
    flags = [f"--{dest.replace('_', '-')} {getattr(args, dest)}" for dest in DATA_FLAGS
             if getattr(args, dest) is not None]
    return flags + [f"--set {o}" for o in args.overrides]


def train(args: argparse.Namespace) -> int:
    resumed = _resumable(args)
    config = resolve_config(args)
    if args.print_config:
        import tomli_w
        sys.stdout.write(tomli_w.dumps(config))
        return 0
    options = _engine_options(args)
    if args.backup_every < 0:
        raise UsageError(f"--backup-every {args.backup_every}: use a number of batches, or 0 "
                         f"to back up at each epoch's end only")
    if resumed is not None:
        _check_resume(resumed, config, args.engine)
    if args.nproc > 1:
        return _train_distributed(args, config, resumed)
    from .train import plan_run, train_run
    if is_writer():
        _say(f"Checking recipe '{config['name']}' and loading its data…")
    plan = plan_run(config, args.engine, options)  # every check before anything is written
    run_dir = resumed.path if resumed is not None else _run_dir(args, config)
    if is_writer():
        ranks = f" ({world_size()} processes, DDP)" if world_size() > 1 else ""
        _say(f"Training → {run_dir}{ranks}" if resumed is None else
             f"Resuming {run_dir} at {resumed.position}{ranks}")
    result = train_run(config, run_dir, verbose=0 if args.quiet else "auto", plan=plan,
                       overrides=tuple(given_options(args)), backup_every=args.backup_every,
                       resumed=resumed)
    if is_writer():
        _report_run(result)
    return 130 if result.interrupted else 0


def _resumable(args: argparse.Namespace):
    """``--resume RUN``: the run, checked (one-line errors); its config.json becomes the recipe
    unless one is given (then it must resolve to the same config)."""
    if args.resume is None:
        return None
    for flag, given in (("--run-dir", args.run_dir is not None), ("--overwrite", args.overwrite)):
        if given:
            raise UsageError(f"--resume {args.resume} continues that run in its own folder; "
                             f"drop {flag}")
    from .resume import open_run
    resumed = open_run(args.resume)
    args.recipe = args.recipe or str(resumed.path / runs.CONFIG)
    return resumed


def _check_resume(resumed, config: dict, engine: str) -> None:
    from .resume import check_config
    from .train import with_absolute_paths
    from .validate import check_config as check_values
    check_values(config)
    check_config(resumed, with_absolute_paths(config), engine)


def _run_dir(args: argparse.Namespace, config: dict) -> Path:
    if args.run_dir is None:
        if not is_writer():
            raise UsageError("a data-parallel process needs --run-dir; start it with --nproc N")
        return runs.new_run_dir(args.runs_dir, config["name"])
    if is_writer():
        runs.prepare_run_dir(args.run_dir, args.overwrite)
    return args.run_dir


def _engine_options(args: argparse.Namespace) -> dict:
    """Check ``--engine``/``--device``/``--nproc`` against this machine; the engine's options."""
    if args.nproc < 1:
        raise UsageError(f"--nproc {args.nproc}: use a positive number of processes")
    if args.engine != "torch":
        if args.device != "auto" or args.nproc > 1:
            flag = "--device" if args.device != "auto" else "--nproc"
            raise UsageError(f"{flag} needs the torch engine: add --engine torch")
        return {}
    if args.nproc > 1:
        return {"device": args.device}     # the launcher: its processes check torch and device
    try:
        from ..engines.torch_engine.distributed import limit_threads
        from ..engines.torch_engine.engine import resolve_device
        if resolve_device(args.device).type == "cpu":
            limit_threads()               # one compute thread a process, as torchrun's
    except ImportError as e:
        raise UsageError(f"--engine torch: {e}") from None
    except (RuntimeError, ValueError) as e:
        raise UsageError(f"--device {args.device}: {e}") from None
    return {"device": args.device}


def _train_distributed(args: argparse.Namespace, config: dict, resumed=None) -> int:
    """``--nproc N``: N local processes (torch DDP over gloo/NCCL), one run directory.

    Each process checks the recipe, loads the data and builds the model, as one process does;
    rank 0 makes the run's folder only after that, so a mistake still stops before a folder,
    and rank 0 alone says what it was. This process checks the recipe's values only: loading
    the data here too (and importing PyTorch) delayed every run's processes by seconds.
    """
    from ..engines.launcher import launch
    from .validate import check_config
    check_config(config)
    if resumed is not None:
        where = ["--resume", str(resumed.path)]
    else:
        if args.run_dir is not None:        # refused here at once, not after the data loads
            runs.check_run_dir(args.run_dir, args.overwrite)
        run_dir = args.run_dir or runs.free_run_dir(args.runs_dir, config["name"])
        where = ["--run-dir", str(run_dir)] + (["--overwrite"] if args.overwrite else [])
    argv = ["-m", "rnnkit", "train", args.recipe or "default", "--engine", "torch", "--device",
            args.device, *where, f"--backup-every={args.backup_every}"] + \
        [f"--set={o}" for o in args.overrides]
    argv += [f"--{dest.replace('_', '-')}={getattr(args, dest)}" for dest in DATA_FLAGS
             if getattr(args, dest) is not None]
    if args.quiet:
        argv.append("--quiet")
    codes = launch(argv, nproc=args.nproc)
    if not any(codes):
        return 0
    # the cause: the first process that exited with an error, else the first one stopped (a
    # negative code: the signal the launcher sent once another had failed)
    rank, code = min(((r, c) for r, c in enumerate(codes) if c), key=lambda rc: (rc[1] < 0, rc[0]))
    if codes[0] <= 0:                       # rank 0 finished, or was stopped: it said nothing
        status = f"exit code {code}" if code > 0 else f"signal {-code}"
        print(f"rnnkit train: error: process {rank} of {args.nproc} stopped ({status}); its "
              f"messages are above", file=sys.stderr)
    return code if code > 0 else 128 - code


def _report_run(result) -> None:
    m, where = result.metrics, result.run_dir
    model = (where / runs.MODEL).is_file()      # not after an interrupted first epoch
    if result.interrupted:
        done = m.get("epochs_run", 0)
        kept = f"best model kept in {where / runs.MODEL}" if model \
            else "no epoch finished, so no model was saved"
        resume = runs.resume_command(where, m.get("engine", "numpy"), m.get("processes", 1))
        _say(f"\nInterrupted after {done} finished epoch(s); {kept}.\nContinue:  {resume}")
    if "test_accuracy" in m:
        _say(f"\nTest accuracy: {m['test_accuracy']:.4f}  (loss {m['test_loss']:.4f}, "
             f"{m['examples']['test']:,} test examples from {m['test_source']}, best epoch "
             f"{m['best_epoch']} of {m['epochs_run']})")
    lines = [f"Run:    {where}"] + [f"Model:  {where / runs.MODEL}"] * model
    if (where / runs.CURVES).is_file():
        lines.append(f"Plots:  {where / runs.CURVES}")
    _say("\n".join(lines + [f"Try:    rnnkit predict {where} \"some text to classify\""] * model))


def _say(text: str) -> None:
    print(text, flush=True)


# ---- predict -------------------------------------------------------------------------------------
def predict(args: argparse.Namespace) -> int:
    from ..classifier import load_classifier
    if args.top < 1:
        raise UsageError(f"--top {args.top}: show at least 1 class")
    classifier = load_classifier(args.run)
    rows = read_rows(args.texts, args.encoding)
    predictions = classifier.predictions([r.text for r in rows])
    classes = classifier.classes
    for row, prediction in zip(rows, predictions, strict=True):
        if args.json:
            _say(json.dumps(prediction.as_json(classes), ensure_ascii=False))
        else:
            line = format_row(prediction, classes, args.top)
            _say(line if len(rows) == 1 else f"{line}\t{_short(row.text)}")
    empty = [r.origin for r, p in zip(rows, predictions) if p.empty]
    if empty:
        print(f"rnnkit predict: {len(empty)} empty text(s) not classified ({', '.join(empty[:3])}"
              f"{', …' if len(empty) > 3 else ''})", file=sys.stderr)
        return EXIT_SOME_ROWS_FAILED
    return 0


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


# ---- explain -------------------------------------------------------------------------------------
def explain(args: argparse.Namespace) -> int:
    from ..classifier import load_classifier
    from ..insight.attribution_views import html_page, print_explanation
    _check_explain_options(args)
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise UsageError("the text is empty; give some words to explain")
    classifier = load_classifier(args.run)
    try:
        found = classifier.explain(text, method=args.method, target=args.target,
                                   steps=args.steps, engine=args.engine)
    except ImportError as e:          # --engine torch without torch installed
        raise UsageError(f"--engine {args.engine}: {e}") from None
    if args.html is not None:
        from ..atomic import atomic_path
        with atomic_path(args.html, overwrite=args.overwrite) as tmp:
            Path(tmp).write_text(html_page(found), encoding="utf-8")
    if args.json:
        _say(json.dumps(found.as_json(), ensure_ascii=False))
        return 0
    print_explanation(found)
    if args.html is not None:
        _say(f"HTML: {args.html}")
    return 0


def _check_explain_options(args: argparse.Namespace) -> None:
    """Every mistake before any work: steps, the HTML file's folder and an existing file."""
    if args.steps is not None and args.method != "integrated-gradients":
        raise UsageError(f"--steps sets integrated gradients' steps; {args.method} takes none")
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps {args.steps}: give a positive number of steps")
    if args.html is None:
        return
    if not args.html.parent.is_dir():
        raise UsageError(f"--html {args.html}: the folder {args.html.parent} does not exist")
    if args.html.exists() and not args.overwrite:
        raise UsageError(f"--html {args.html} exists; pass --overwrite to replace it")


# ---- evaluate ------------------------------------------------------------------------------------
def evaluate(args: argparse.Namespace) -> int:
    from .data import encode
    from .train import evaluate_model
    from ..classifier import load_classifier
    run = Run.open(args.run)
    classifier = load_classifier(run.path)
    model, encoder, classes = classifier.model_, classifier.encoder_, classifier.classes
    texts, where = _evaluation_texts(run, args)
    y = classes.ids_of([texts.class_names[i] for i in texts.labels], where)
    x = encode(encoder, texts).x
    metrics = evaluate_model(model, x, y, classes.names)
    if args.json:
        _say(json.dumps({"run": str(run.path), "data": where, "examples": len(y), **metrics},
                        ensure_ascii=False))
        return 0
    _say(f"{run.path} on {where} ({len(y):,} examples): accuracy "
         f"{metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}, macro F1 "
         f"{metrics['macro_f1']:.4f}")
    width = max(16, *(len(name) for name in metrics["per_class"]))
    for name, c in metrics["per_class"].items():
        _say(f"  {name:>{width}}  precision {c['precision']:.3f}  recall {c['recall']:.3f}  "
             f"F1 {c['f1']:.3f}  ({c['support']})")
    return 0


def _evaluation_texts(run: Run, args: argparse.Namespace):
    """The texts to evaluate on, read with the run's columns and options unless flags say."""
    from ..data import sources
    from ..datasets import custom
    from .data import load_texts, read_options, test_source
    data = dict(run.config["data"])
    for dest in ("text_column", "label_column", "format", "encoding", "empty"):
        if getattr(args, dest) is not None:
            data[DATA_FLAGS[dest]] = getattr(args, dest)
    if args.data is None and not data["test_path"]:
        return load_texts(data).test, f"the run's test set ({test_source(data)})"
    path = args.data or data["test_path"]   # a test file is read alone, not with its train file
    if path in sources.names() and not sources.get(path).file_keys:   # a named dataset
        return load_texts({**data, "source": path}).test, path
    # All of the file is the test set; one class alone is fine here (a file of positives).
    where = path if args.data else f"the run's test file {path}"
    return custom.read_labelled_file(path, **read_options(data), min_classes=1), where


# ---- export ----------------------------------------------------------------------------------------
def export(args: argparse.Namespace) -> int:
    from ..onnx_export.files import size_text
    from .export import export_run
    done = export_run(args.run, args.out, args.overwrite, args.format)
    loads = " (Keras 3 loads it)" if args.format == "keras" else ""
    _say(f"Wrote {done.model} ({size_text(done.model)}): {done.signature.describe()}{loads}\n"
         f"  and {done.preprocessing} ({size_text(done.preprocessing)}): the text encoding and "
         f"the classes")
    return 0


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
    from .train import plan_run, train_run
    plan = plan_run(config)
    run_dir = runs.new_run_dir(args.runs_dir, config["name"])
    _say(f"{item}: training → {run_dir}")
    train_run(config, run_dir, plan=plan, overrides=tuple(f"--set {o}" for o in args.overrides))
    return run_dir


def summary(args: argparse.Namespace) -> int:
    path = Path(args.item)
    if path.is_dir():
        model = Run.open(path).model()
    else:
        from .build import build_model
        from .data import input_shape
        from .validate import check_config
        config = recipes.load(args.item, args.overrides)
        check_config(config)
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


# ---- gradients, inspect ----------------------------------------------------------------------------
def gradients(args: argparse.Namespace) -> int:
    from . import gradient_study as gs
    out = args.out or Path("reports") / f"gradients-{Path(args.item).stem}"
    files = [out / name for name in gs.FILES]
    _refuse_existing(files, args.overwrite)
    options = gs.Options(length=args.length, reviews=args.reviews, train_size=args.train_size,
                         epochs=args.epochs)
    for flag, value in (("--length", args.length or 1), ("--reviews", args.reviews),
                        ("--train-size", args.train_size), ("--epochs", args.epochs)):
        if value < 1:
            raise UsageError(f"{flag} {value}: use a positive number")
    _say(f"Loading the data of {args.item}…")
    study, dataset = gs.open_study(args.item, args.overrides, args.length)
    found, facts = gs.run_study(study, dataset, options, _say)
    document = gs.summary(found, facts, study)
    _refuse_existing(files, args.overwrite)      # nothing appeared meanwhile
    gs.write_files(out, found, document)
    for line in gs.summary_lines(document):
        _say(line)
    _say(f"Figure: {files[0]}\nCurves: {files[1]}\nSummary: {files[2]}")
    return 0


def inspect(args: argparse.Namespace) -> int:
    from . import inspection
    out = args.out or Path("reports") / f"inspect-{Path(args.run).stem}"
    inspected = inspection.read(args.run, args.text)
    _refuse_existing(inspected.files(out), args.overwrite)
    document = inspection.write(inspected, out)
    if args.json:
        _say(json.dumps(document, ensure_ascii=False))
    else:
        for line in inspection.summary_lines(document, out):
            _say(line)
    return 0


def _refuse_existing(files, overwrite: bool) -> None:
    """Refuse, before any work is written, to replace output files unless ``--overwrite``."""
    held = [str(f) for f in files if Path(f).exists()]
    if held and not overwrite:
        raise UsageError(f"{held[0]} exists; choose another --out folder, or pass --overwrite "
                         f"to replace {'it' if len(held) == 1 else f'the {len(held)} files'}")


# ---- serve -----------------------------------------------------------------------------------------
#: the limit each ``rnnkit serve`` flag sets (rnnkit.serve.limits.Limits) → the flag
SERVE_FLAGS = {"max_texts": "--max-texts", "max_chars": "--max-chars",
               "max_body_bytes": "--max-body-bytes", "queue_texts": "--queue-texts",
               "queue_requests": "--queue-requests", "timeout_s": "--timeout",
               "batch_texts": "--batch-texts", "batch_wait_ms": "--batch-wait-ms",
               "max_steps": "--max-steps"}


def serve(args: argparse.Namespace) -> int:
    from ..serve.limits import LimitSettingError, Limits
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: use 1 or more processes")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: use a port from 0 to 65535")
    try:
        limits = Limits(**{name: getattr(args, name) for name in SERVE_FLAGS},
                        batching=not args.no_batching)
    except LimitSettingError as e:
        raise UsageError(f"{SERVE_FLAGS[e.name]} {e.value}: {e.reason}") from None
    try:
        import fastapi  # noqa: F401
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise UsageError(f"rnnkit serve needs FastAPI, uvicorn and prometheus-client ({e.name} "
                         f"is not installed): pip install \"rnnkit[serve]\"") from None
    from ..serve.server import serve as run_server
    run_server(args.run, args.host, args.port, args.workers, limits,
               access_log=not args.no_access_log)
    return 0


COMMANDS = {"train": train, "evaluate": evaluate, "predict": predict, "explain": explain,
            "compare": compare, "summary": summary, "recipes": list_recipes, "export": export,
            "gradients": gradients, "inspect": inspect, "serve": serve}
