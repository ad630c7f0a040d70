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


def preprocessing(source: str, classes: Classes, encoding: dict, signature,
                  model_name: str) -> dict:
    """The JSON written beside the model: what a program needs to feed it and read it."""
    return {
        "format": PREPROCESSING_FORMAT, "rnnkit_version": __version__, "model": model_name,
        "run": source,
        "input": {"name": signature.input_name, "dtype": signature.input_dtype,
                  "shape": ["batch", "time"], "padding_id": 0,
                  "one_hot_in_graph": bool(encoding.get("onehot", False))},
        "output": {"name": signature.output_name, "dtype": "float32",
                   "shape": ["batch", signature.output_shape[1]],
                   "meaning": _output_meaning(classes, signature.output_shape[1])},
        "classes": classes.to_dict(),
        "encoding": encoding,
    }


def export_run(source: Path, out: Path | None = None, overwrite: bool = False,
               format: str = "onnx") -> Exported:
    """Write the model of a run directory, or of one model file that reads text, in
    ``format`` (default ``RUN/model.onnx``/``RUN/model-ids.keras``, or beside the file) and
    its preprocessing JSON beside it; every check (paths, the model's exportability) comes
    before the first write."""
    from ..classifier import load_classifier
    source, writer = Path(source), FORMATS[format]
    if source.is_dir():
        Run.open(source)                       # a clear error if it is not a run
    out = Path(out) if out is not None else _default_out(source, writer)
    if out.suffix != writer.suffix and not out.is_dir():     # a folder: _check_targets says
        raise ExportError(f"--out {out} does not end in {writer.suffix}; name the {format} "
                          f"file FILE{writer.suffix}")
    side = preprocessing_path(out)
    _check_targets((out, side), overwrite)
    classifier = load_classifier(source)   # the model's own encoding, or vocabulary.json
    try:
        encoding = classifier.encoder_.to_dict()
    except ValueError as e:
        raise ExportError(f"{source}: {e}") from None
    write, signature = writer.prepare(classifier.model_, encoding)
    document = preprocessing(source.name if source.is_dir() else source.stem,
                             classifier.classes, encoding, signature, out.name)
    write(out)
    atomic_write_json(side, document)
    return Exported(out, side, signature)


def _default_out(source: Path, writer: "Writer") -> Path:
    if source.is_dir():
        return source / writer.default_name
    return source.with_name(source.stem + Path(writer.default_name).name[len("model"):])


@dataclass(frozen=True)
class Writer:
    """A format: its default file name, and ``prepare(model, encoding) -> (write(path),
    signature)``, which checks everything before anything is written."""

    default_name: str
    prepare: object

    @property
    def suffix(self) -> str:
        return Path(self.default_name).suffix


def _onnx(model, encoding: dict):
    from ..onnx_export import build_graph
    from ..onnx_export.files import write
    proto, signature = build_graph(model, one_hot_input=bool(encoding.get("onehot")))
    return (lambda path: write(proto, path)), signature


def _keras_ids(model, encoding: dict):
    """The model from the ids on (its text-encoding layer left out): Keras has no such layer,
    so this is the file real Keras 3 loads (``keras.models.load_model``)."""
    shape = model.compute_input_shape
    ids_model = _from_ids(model, shape)
    ids_model.metadata = dict(model.metadata)
    input_name = "token_ids" if len(shape) == 2 else "inputs"
    output = model.output_shape
    from ..onnx_export.model import Signature      # the same description as the ONNX file's
    signature = Signature(input_name, "int32" if len(shape) == 2 else "float32",
                          (None,) + tuple(shape[1:]), "outputs", tuple(output))
    return (lambda path: ids_model.save(path)), signature


def _from_ids(model, shape):
    """A new model over the same layers (the same weights), reading ids: a Sequential stack
    for a chain of layers, else the same graph called again on a new Input (Functional)."""
    from ..layers import Input
    from ..model import Model, Sequential
    ids = Input(shape=shape[1:], dtype="int32" if len(shape) == 2 else None)
    if model.graph.is_chain:
        return Sequential([ids] + model.compute_layers, name=model.name)
    return Model(ids, model.graph.replay([ids])[0], name=model.name)


FORMATS = {"onnx": Writer(ONNX_NAME, _onnx), "keras": Writer("model-ids.keras", _keras_ids)}
