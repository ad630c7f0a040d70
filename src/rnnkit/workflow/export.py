"""``rnnkit export``: a run's model as an ONNX file, with its text encoding beside it.

Beside ``model.onnx`` goes ``model.preprocessing.json``: the run's text encoding (the content of
``vocabulary.json``), its classes in output order and the graph's input and output, so a
program without rnnkit can turn raw text into the ids the model was trained on
(``examples/onnx_predict.py``, docs/using-a-model.md) and read the probabilities back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import UserError
from .classes import Classes
from .runs import Run, atomic_write_json

ONNX_NAME = "model.onnx"
PREPROCESSING_SUFFIX = ".preprocessing.json"
PREPROCESSING_FORMAT = "rnnkit-onnx-preprocessing/1"


class ExportError(UserError, ValueError):
    """An output path that cannot be written as asked."""


@dataclass(frozen=True)
class Exported:
    model: Path
    preprocessing: Path
    signature: object                # onnx_export.Signature


def preprocessing_path(model_path: Path) -> Path:
    """``model.onnx`` → ``model.preprocessing.json`` (beside it)."""
    return model_path.with_name(model_path.stem + PREPROCESSING_SUFFIX)


def _check_targets(paths, overwrite: bool) -> None:
    """Every check on where the files go, before anything is built or written."""
    for path in paths:
        if path.is_dir():
            raise ExportError(f"{path} is a directory; give --out a file name such as "
                              f"{path / ONNX_NAME}")
        if not path.parent.is_dir():
            raise ExportError(f"the folder {path.parent} of --out does not exist; create it or "
                              f"choose another --out")
        if path.exists() and not overwrite:
            raise ExportError(f"{path} exists; pass --overwrite to replace it")


def _output_meaning(classes: Classes, width: int) -> str:
    if width == 1:
        return (f"one sigmoid unit: p is the probability of {classes.values[1]!r} (the second "
                f"class); {classes.values[0]!r} has 1 - p")
    return "one probability per class, in the order of classes.values"


def preprocessing(run: Run, classes: Classes, encoding: dict, signature,
                  model_name: str) -> dict:
    """The JSON written beside the model: what a program needs to feed it and read it."""
    return {
        "format": PREPROCESSING_FORMAT, "rnnkit_version": __version__, "model": model_name,
        "run": run.name,
        "input": {"name": signature.input_name, "dtype": signature.input_dtype,
                  "shape": ["batch", "time"], "padding_id": 0,
                  "one_hot_in_graph": bool(encoding.get("onehot", False))},
        "output": {"name": signature.output_name, "dtype": "float32",
                   "shape": ["batch", signature.output_shape[1]],
                   "meaning": _output_meaning(classes, signature.output_shape[1])},
        "classes": classes.to_dict(),
        "encoding": encoding,
    }


def export_run(run: Run, out: Path | None = None, overwrite: bool = False) -> Exported:
    """Write the run's model as ONNX (default ``RUN/model.onnx``) and its preprocessing JSON;
    every check (paths, the model's exportability) comes before the first write."""
    from ..classifier import load_classifier
    from ..onnx_export import build_graph
    from ..onnx_export.files import write
    out = Path(out) if out is not None else run.path / ONNX_NAME
    side = preprocessing_path(out)
    _check_targets((out, side), overwrite)
    classifier = load_classifier(run.path)    # the model's own encoding, or vocabulary.json
    encoding = classifier.encoder_.to_dict()
    proto, signature = build_graph(classifier.model_,
                                   one_hot_input=bool(encoding.get("onehot")))
    document = preprocessing(run, classifier.classes, encoding, signature, out.name)
    write(proto, out)
    atomic_write_json(side, document)
    return Exported(out, side, signature)
