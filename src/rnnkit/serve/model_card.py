"""``GET /v1/model``: what is being served — classes, recipe, architecture, the text encoding's
size, the run's test metrics, the server's limits — read once when the server starts."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .. import __version__
from ..insight.passes import recurrent_indices
from ..layers import Bidirectional
from ..workflow.runs import Run
from .limits import Limits

#: the test figures of a run's metrics.json shown on the card
TEST_METRICS = ("test_accuracy", "test_loss", "macro_f1", "per_class", "test_source",
                "best_epoch", "epochs_run")


def model_card(classifier, source: Path, limits: Limits) -> dict:
    """The card of ``classifier``, loaded from ``source`` (a run directory or a model file;
    only a run has a recipe's config and test metrics)."""
    run = Run.open(source) if source.is_dir() else None
    model, encoder, classes = classifier.model_, classifier.encoder_, classifier.classes
    config = run.config if run else None
    metrics = run.metrics() if run else {}
    recurrent = recurrent_layers(model)
    return {
        "name": run.name if run else source.stem, "source": str(source),
        "rnnkit_version": __version__,
        "classes": [{"name": n, "value": v} for n, v in zip(classes.names, classes.values)],
        "recipe": {"name": model.metadata.get("recipe") or (config or {}).get("name"),
                   "description": (config or {}).get("description"), "config": config},
        "architecture": {"layers": layer_rows(model), "params": model.count_params(),
                         "summary": summary_text(model)},
        "recurrent_layers": recurrent,
        "has_gates": any(layer["gates"] for layer in recurrent),
        "encoding": type(encoder).__name__, "maxlen": encoder.maxlen,
        "vocabulary_size": vocabulary_size(encoder),
        "test_metrics": ({key: metrics[key] for key in TEST_METRICS if key in metrics}
                         | {"test_examples": metrics.get("examples", {}).get("test")}
                         if "test_accuracy" in metrics else None),
        "limits": limits.as_json(),
        "examples": examples_for((config or {}).get("data", {}).get("source")),
    }


def layer_rows(model) -> list[dict]:
    return [{"name": layer.name, "type": type(layer).__name__,
             "output_shape": list(shape) if shape is not None else None,
             "params": layer.count_params()}
            for layer, shape in zip(model.layers, model.layer_output_shapes())]


def summary_text(model) -> str:
    lines = []
    model.summary(line_length=88, print_fn=lines.append)
    return "".join(lines)


def recurrent_layers(model) -> list[dict]:
    """Each recurrent layer: its type, cell, units and the gates its cell exposes."""
    found = []
    for index in recurrent_indices(model):
        layer = model.compute_layers[index]
        rnn = layer.forward_layer if isinstance(layer, Bidirectional) else layer
        found.append({"layer": layer.name, "type": type(layer).__name__,
                      "cell": type(rnn.cell).__name__, "units": rnn.units,
                      "gates": [name for name, _ in rnn.cell.gate_fields]})
    return found


def vocabulary_size(encoder) -> int:
    """Words the encoding gives an id of their own (padding and marks not counted)."""
    if hasattr(encoder, "vocabulary_size"):                      # TextVectorization
        return int(encoder.vocabulary_size())
    if hasattr(encoder, "tokenizer"):                            # Keras Tokenizer: ids < num_words
        words, limit = len(encoder.tokenizer.word_index), encoder.tokenizer.num_words
        return min(words, limit - 1) if limit else words
    lowest = max(encoder.skip_top, encoder.drop_ids_below)       # Keras IMDB: rank + index_from
    return sum(1 for rank in encoder.word_index.values()
               if lowest <= rank + encoder.index_from < encoder.num_words)


def examples_for(data_source: str | None) -> list[str]:
    """Example texts for the page, chosen by the run's dataset (none for the user's own data,
    whose kind of text we cannot guess)."""
    examples = json.loads(resources.files(__package__).joinpath("static/examples.json")
                          .read_text(encoding="utf-8"))
    kind = examples["sources"].get(data_source or "")
    return examples["texts"][kind] if kind else []
