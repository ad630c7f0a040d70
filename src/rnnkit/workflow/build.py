"""A recipe's ``[model]`` and ``[train]`` sections → a compiled model (a Sequential stack, or a

Layers are written as tables of Keras arguments::

    [[model.layers]]
    type = "Bidirectional"
    layer = { type = "GRU", units = 64 }

The output layer's loss follows the class count unless the recipe names one: one sigmoid unit
with binary crossentropy for two classes, softmax with sparse categorical crossentropy otherwise.
An output layer written ``{ type = "Dense", units = "classes" }`` takes that shape from the data
(``Dense(1, "sigmoid")`` or ``Dense(k, "softmax")``), so one recipe serves any class count.

A layer reads the layer before it unless it names its inputs: ``inputs = "embedding"`` (one
earlier layer, by ``name``) or ``inputs = ["max", "avg"]`` (several, for Concatenate, Add …).
A recipe with any ``inputs`` is built as a Functional model (``Model(inputs, outputs)``), whose
output is the last layer's; one without stays a Sequential stack::

    { type = "Embedding", input_dim = 10000, output_dim = 64, name = "embedding" },
    { type = "Conv1D", filters = 64, kernel_size = 3, inputs = "embedding", name = "conv3" },
"""

from __future__ import annotations

from typing import Any

from .. import layers as layers_module
from .. import optimizers
from ..model import Model, Sequential
from ..random import set_random_seed
from .recipes import RecipeError


def make_layer(spec: dict[str, Any], where: str):
    """One layer from its table (``type`` plus Keras arguments); nested ``layer`` for wrappers."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    cls = getattr(layers_module, str(kind), None)
    if not isinstance(cls, type) or not issubclass(cls, layers_module.Layer):
        raise RecipeError(f"{where}: unknown layer type {kind!r}; use a rnnkit layer name such "
                          f"as Embedding, LSTM, GRU, SimpleRNN, Bidirectional, Dropout, Dense")
    if isinstance(spec.get("layer"), dict):
        spec["layer"] = make_layer(spec["layer"], where + ".layer")
    try:
        return cls(**spec)
    except (TypeError, ValueError) as e:   # a wrong argument, or a value out of its range
        raise RecipeError(f"{where}: {kind}{_args(spec)} is not accepted ({e}); fix the layer's "
                          f"arguments in the recipe or --set") from None


def _sized(spec: dict, n_classes: int) -> dict:
    """``units = "classes"``: one sigmoid unit for two classes, else k softmax units."""
    if spec.get("units") != "classes":
        return spec
    binary = n_classes == 2
    spec = {**spec, "units": 1 if binary else n_classes}
    if spec.get("activation") in (None, "sigmoid", "softmax"):  # "linear" stays: from_logits
        spec["activation"] = "sigmoid" if binary else "softmax"
    return spec


def _args(spec: dict) -> str:
    return "(" + ", ".join(f"{k}={v!r}" for k, v in spec.items()) + ")"


def loss_for(train: dict, n_classes: int) -> str:
    if train["loss"]:
        return train["loss"]
    return "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"


def build_model(config: dict, input_shape: tuple, n_classes: int | None, engine: str = "numpy",
                text_layer=None, **engine_options) -> Model:
    """The recipe's model, seeded (same seed → same initial weights), built and compiled.

    ``n_classes`` checks the output layer against the data; None (a summary without data)
    takes the output layer as it is. ``text_layer`` (the fitted text encoding) goes first, so
    the model reads raw strings as well as the ids it trains on.
    """
    set_random_seed(int(config["train"]["seed"]))
    specs = config["model"]["layers"]
    if not specs:
        raise RecipeError(f"recipe {config['name']!r} has no [[model.layers]]; add at least one")
    specs = [_sized(s, n_classes or 2) for s in specs]
    first = [layers_module.Input(shape=tuple(input_shape[1:]))] if text_layer is None else \
        [layers_module.Input(shape=(), dtype="string"), text_layer]
    build = _graph if any("inputs" in s for s in specs) else _stack
    model = build(first, specs, config["name"])
    if n_classes is None:
        n_classes = max(2, model.output_shape[-1])
    _check_output(model, n_classes, len(specs) - 1)
    train = config["train"]
    try:
        optimizer_class = type(optimizers.get(train["optimizer"]))
    except ValueError as e:
        raise RecipeError(f"train.optimizer: {e}") from None
    optimizer = optimizer_class(learning_rate=train["learning_rate"])
    model.compile(optimizer=optimizer, loss=loss_for(train, n_classes), metrics=["accuracy"],
                  engine=engine, **engine_options)
    return model


def _stack(first: list, specs: list, name: str) -> Sequential:
    return Sequential(first + [make_layer(s, f"model.layers.{i}") for i, s in enumerate(specs)])


def _graph(first: list, specs: list, name: str) -> Model:
    """Each layer called on the tensor(s) its ``inputs`` name, else on the previous layer's."""
    inputs = x = first[0]
    for layer in first[1:]:   # the text encoding, right after the string Input
        x = layer(x)
    made: dict = {}
    for i, spec in enumerate(specs):
        where = f"model.layers.{i}"
        spec = dict(spec)
        sources = spec.pop("inputs", None)
        layer = make_layer(spec, where)
        if sources is not None:
            x = _named_inputs(sources, made, where)
        try:
            x = layer(x)
        except (TypeError, ValueError) as e:   # shapes that do not fit, e.g. a merge's inputs
            raise RecipeError(f"{where}: {type(layer).__name__} cannot take its input ({e}); "
                              f"fix the layer's inputs or arguments in the recipe") from None
        made[layer.name] = x
    return Model(inputs, x, name=name.replace("-", "_"))


def _named_inputs(sources, made: dict, where: str):
    """The tensor(s) ``inputs`` names: one name, or a list of names of earlier layers."""
    names = [sources] if isinstance(sources, str) else sources
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise RecipeError(f"{where}.inputs: {sources!r} is not a layer name or a list of layer "
                          f"names; write inputs = \"embedding\" or inputs = [\"max\", \"avg\"]")
    for n in names:
        if n not in made:
            known = ", ".join(made) or "none yet"
            raise RecipeError(f"{where}.inputs names {n!r}, which no earlier layer is called; "
                              f"give that layer name = {n!r} or use one of: {known}")
    tensors = [made[n] for n in names]
    return tensors[0] if isinstance(sources, str) else tensors


def _check_output(model, n_classes: int, last: int) -> None:
    units = model.output_shape[-1]
    wanted = 1 if n_classes == 2 else n_classes
    if units != wanted:
        raise RecipeError(f"the model ends in {units} unit(s) but the data has {n_classes} "
                          f"classes; let the last layer size itself with --set "
                          f"model.layers.{last}.units=classes (or make it Dense({wanted}, "
                          f"activation={'sigmoid' if wanted == 1 else 'softmax'}))")
