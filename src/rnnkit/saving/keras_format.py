"""Translation between rnnkit's model description and Keras 3's config.json.

Writing: each layer's ``get_config()`` becomes a Keras layer entry (module, class_name, config,
build_config) with Keras's spellings (DTypePolicy dicts, initializer dicts with a module) and
Keras's own options at their neutral values, so real Keras 3 rebuilds the same model. Options
Keras does not know (e.g. ``bptt_truncate``) would make Keras refuse the file, so they travel
separately as *extras* (stored in metadata.json, which Keras ignores) and return on rnnkit load.

Reading: Keras-only options at neutral values (no regularizer, not stateful, …) are dropped;
any other value rnnkit cannot honour is refused with a one-line error naming the option.

The legacy .h5 form (Keras 2, tf.keras, Keras 3's legacy saver) is the same config with older
spellings: layer entries without ``module``, ``batch_input_shape`` on the first layer, the
training config beside the model config with the optimizer as ``optimizer_config``.
``model_to_legacy_json`` and ``model_from_legacy_json`` translate it to and from this module's
Keras 3 form, so there is one reader of layer configs.
"""

from __future__ import annotations

import inspect

from .. import config as _config
from .. import initializers as inits
from .. import layers as layers_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..keras_options import KerasOptions
from ..layers import cells

# The config keys Keras 3 writes for each layer class (keras 3.15, get_config()).
_RNN_COMMON = ("name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
               "stateful", "unroll", "zero_output_for_mask", "units", "activation")
_RNN_WEIGHTS = ("use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer")
_RNN_PENALTIES = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                  "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                  "bias_constraint", "dropout", "recurrent_dropout")
_CELL_COMMON = ("units", "activation")
_CELL_TAIL = _RNN_PENALTIES[:3] + _RNN_PENALTIES[4:] + ("seed",)   # no activity_regularizer
KERAS_LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "Embedding": ("name", "trainable", "dtype", "input_dim", "output_dim",
                  "embeddings_initializer", "embeddings_regularizer", "activity_regularizer",
                  "embeddings_constraint", "mask_zero", "quantization_config"),
    "Dense": ("name", "trainable", "dtype", "units", "activation", "use_bias",
              "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
              "kernel_constraint", "bias_constraint", "quantization_config"),
    "Dropout": ("name", "trainable", "dtype", "rate", "seed", "noise_shape"),
    "SimpleRNN": _RNN_COMMON + _RNN_WEIGHTS + _RNN_PENALTIES,
    "LSTM": _RNN_COMMON + ("recurrent_activation",) + _RNN_WEIGHTS + ("unit_forget_bias",)
    + _RNN_PENALTIES + ("seed",),
    "GRU": _RNN_COMMON + ("recurrent_activation",) + _RNN_WEIGHTS + _RNN_PENALTIES
    + ("reset_after", "seed"),
    "Bidirectional": ("name", "trainable", "dtype", "merge_mode", "layer", "backward_layer"),
    # an RNN's cell entry, less the name, trainable flag and dtype Keras's cells have as
    # layers: a cell here is one step's math, not a layer
    "SimpleRNNCell": _CELL_COMMON + _RNN_WEIGHTS + _CELL_TAIL,
    "LSTMCell": _CELL_COMMON + ("recurrent_activation", "use_bias", "unit_forget_bias")
    + _RNN_WEIGHTS[1:] + _CELL_TAIL,
    "GRUCell": _CELL_COMMON + ("recurrent_activation",) + _RNN_WEIGHTS + _CELL_TAIL[:-1]
    + ("reset_after", "seed"),
    "RNN": ("name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards",
            "stateful", "unroll", "zero_output_for_mask", "cell"),
    "Conv1D": ("name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
               "data_format", "dilation_rate", "groups", "activation", "use_bias",
               "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
               "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "GlobalMaxPooling1D": ("name", "trainable", "dtype", "data_format", "keepdims"),
    "GlobalAveragePooling1D": ("name", "trainable", "dtype", "data_format", "keepdims"),
    "MaxPooling1D": ("name", "trainable", "dtype", "pool_size", "padding", "strides",
                     "data_format"),
    # Keras's SpatialDropout1D.__init__ takes these four only (no trainable, no **kwargs)
    "SpatialDropout1D": ("rate", "seed", "name", "dtype"),
    "Flatten": ("name", "trainable", "dtype", "data_format"),
    "Masking": ("name", "trainable", "dtype", "mask_value"),
    "LayerNormalization": ("name", "trainable", "dtype", "axis", "epsilon", "center", "scale",
                           "rms_scaling", "beta_initializer", "gamma_initializer",
                           "beta_regularizer", "gamma_regularizer", "beta_constraint",
                           "gamma_constraint"),
    "Activation": ("name", "trainable", "dtype", "activation"),
    "Concatenate": ("name", "trainable", "dtype", "axis"),
    "Add": ("name", "trainable", "dtype"),
    "Average": ("name", "trainable", "dtype"),
    "Multiply": ("name", "trainable", "dtype"),
    "TextVectorization": ("name", "trainable", "dtype", "max_tokens", "standardize", "split",
                          "ngrams", "output_mode", "output_sequence_length", "pad_to_max_tokens",
                          "sparse", "ragged", "vocabulary", "idf_weights", "encoding",
                          "vocabulary_size"),
}
# Keras layers built as they are made, whose entries therefore have no build_config.
_BUILT_WITHOUT_SHAPE = frozenset({"Dropout", "SpatialDropout1D", "MaxPooling1D", "Activation",
                                  "Masking", "GlobalMaxPooling1D", "GlobalAveragePooling1D"})
# Layers whose Keras get_config writes the dtype's name, not its DTypePolicy.
_DTYPE_BY_NAME = frozenset({"SpatialDropout1D"})
# Keras keeps these on an RNN's cell, rnnkit on the RNN driver (the cell is one step's math).
_CELL_HELD = ("dropout", "recurrent_dropout", "seed")
# The cells Keras itself has (their entries name the module keras.layers).
_KERAS_CELLS = ("SimpleRNNCell", "LSTMCell", "GRUCell")

# Keras options rnnkit does not implement, at the values that mean "not used".
KERAS_ONLY_NEUTRAL = {
    "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
    "activity_regularizer": None, "embeddings_regularizer": None, "kernel_constraint": None,
    "recurrent_constraint": None, "bias_constraint": None, "embeddings_constraint": None,
    "quantization_config": None, "stateful": False, "unroll": False,
    "zero_output_for_mask": False, "sparse": False, "ragged": False, "optional": False,
    "lora_rank": None, "lora_alpha": None, "input_axes": None, "output_axes": None,
    "dtype": None, "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
    "gamma_constraint": None,
}
# Reading: those at their neutral values, or at None (Keras's "unset"), are dropped, as are
# options that do not change the math whatever their value; any other value is refused.
# Keras 2's recurrent options, as legacy .h5 configs carry them: ``implementation`` (1 or 2)
# only chose how the gate products were grouped; ``time_major`` is off unless the inputs were
# (time, batch, …), which rnnkit's are not.
_READ = KerasOptions(ignored=frozenset({"unroll", "dtype", "implementation"}),
                     defaults={**KERAS_ONLY_NEUTRAL, "time_major": False}, none_is_off=True)
_NESTED_LAYER_KEYS = ("layer", "backward_layer", "cell")


class UnsupportedModelError(ValueError):
    """A model file asks for something rnnkit does not have (a layer kind, an option)."""


# ---- classes ----------------------------------------------------------------------------------
# Base classes rnnkit has but cannot rebuild from a Keras config (Keras's RNN wraps any cell).
_NOT_LOADABLE = {"Layer"}


def _loadable(class_name) -> type | None:
    cls = getattr(layers_module, str(class_name), None)
    if class_name in _NOT_LOADABLE or not (isinstance(cls, type)
                                           and issubclass(cls, layers_module.Layer)):
        return None
    return cls


def _is_cell(class_name) -> bool:
    try:
        cells.cell_class(str(class_name))
    except ValueError:
        return False
    return True


def _nested_class(key: str, class_name: str) -> type:
    """The class of a nested entry: a cell under ``cell``, else a layer."""
    if key != "cell":
        return layer_class(class_name)
    try:
        return cells.cell_class(class_name)
    except ValueError as e:
        raise UnsupportedModelError(str(e)) from None


def layer_class(class_name: str) -> type:
    cls = _loadable(class_name)
    if cls is None:
        raise UnsupportedModelError(f"rnnkit has no layer {class_name!r}")
    return cls


def layer_class_names(entries) -> list[str]:
    """Every layer class named in a list of Keras layer entries, nested wrappers included."""
    names = []
    for entry in entries:
        names.append(entry.get("class_name"))
        for key in _NESTED_LAYER_KEYS:
            inner = entry.get("config", {}).get(key)
            if isinstance(inner, dict):
                names += layer_class_names([inner])
    return names


def missing_layer_classes(entries) -> list[str]:
    missing = []
    for name in layer_class_names(entries):
        if _loadable(name) is None and not _is_cell(name) and name not in missing:
            missing.append(name)
    return missing


def missing_classes_message(missing: list[str]) -> str:
    """What a file's unknown classes are, and how a cell class of your own becomes known."""
    names = [str(n) for n in missing]
    example = next((n for n in names if n.endswith("Cell")), names[0])
    return (f"the model uses classes rnnkit does not know: {', '.join(names)}. A recurrent cell "
            f"of your own loads once the module that defines it is imported, or with "
            f"custom_objects={{{example!r}: {example}}}; other layers (Keras's or your own) "
            f"rnnkit does not have")


def _accepted_params(cls) -> set[str]:
    """Keyword names ``cls(**kw)`` accepts, following ``**kwargs`` up the class hierarchy."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names - {"self"}


def keep_supported(owner: str, cls, config: dict) -> dict:
    """``config`` minus Keras-only options at neutral values; others rnnkit lacks are refused."""
    accepted = _accepted_params(cls)
    for key, value in config.items():
        if key not in accepted:
            _READ.check(owner, key, value, UnsupportedModelError)
    return {key: value for key, value in config.items() if key in accepted}


# ---- values -----------------------------------------------------------------------------------
def _dtype_policy(name: str) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _is_initializer(key: str, value) -> bool:
    return key.endswith("initializer") and isinstance(value, dict)


def _value_to_keras(key: str, value, class_name: str = ""):
    if key == "dtype" and isinstance(value, str) and class_name not in _DTYPE_BY_NAME:
        return _dtype_policy(value)
    if _is_initializer(key, value):
        return {"module": "keras.initializers", "class_name": value["class_name"],
                "config": dict(value.get("config", {})), "registered_name": None}
    if isinstance(value, tuple):
        return list(value)
    return value


def _value_from_keras(owner: str, key: str, value):
    if key == "dtype" and isinstance(value, dict):
        return _config.standardize_dtype(value)
    if _is_initializer(key, value):
        cls = type(inits.get(value["class_name"]))
        return {"class_name": value["class_name"],
                "config": keep_supported(f"{owner} {key}", cls, value.get("config") or {})}
    if key == "noise_shape" and isinstance(value, list):
        return tuple(value)
    return value


# ---- layers -----------------------------------------------------------------------------------
def layer_to_keras(layer, input_shape=None) -> tuple[dict, dict]:
    """(Keras layer entry, rnnkit-only extras) for a built or unbuilt rnnkit layer."""
    class_name = type(layer).__name__
    config, extras = _config_to_keras(class_name, layer.get_config())
    entry = {"module": "keras.layers", "class_name": class_name, "config": config,
             "registered_name": None}
    if input_shape is not None and class_name not in _BUILT_WITHOUT_SHAPE:
        entry["build_config"] = {"input_shape": _build_shape(input_shape)}
        _build_wrapped(config, entry["build_config"])
    return entry, extras


def _build_wrapped(config: dict, build_config: dict) -> None:
    """Keras builds a wrapper's layers (Bidirectional's two directions) on the wrapper's own
    input shape, so their entries carry the wrapper's build_config. (An RNN's cell is built on
    one step's shape instead, and Keras writes none for it.)"""
    for key in ("layer", "backward_layer"):
        if isinstance(config.get(key), dict):
            config[key]["build_config"] = dict(build_config)


def _cell_options_to_cell(config: dict) -> dict:
    """Keras's placement: an RNN's dropout rates and seed inside its cell's config."""
    if not isinstance(config.get("cell"), dict):
        return config
    config = dict(config)
    held = {k: config.pop(k) for k in _CELL_HELD if k in config}
    config["cell"] = {**config["cell"], "config": {**config["cell"]["config"], **held}}
    return config


def _cell_options_from_cell(config: dict) -> dict:
    """rnnkit's placement: the cell's dropout rates and seed on the RNN; the cell's own Keras
    layer keys (name, trainable, dtype) dropped, since a cell here is not a layer."""
    if not isinstance(config.get("cell"), dict):
        return config
    config, inner = dict(config), dict(config["cell"].get("config", {}))
    config.update({k: inner.pop(k) for k in _CELL_HELD if k in inner})
    for key in ("name", "trainable", "dtype"):
        inner.pop(key, None)
    config["cell"] = {**config["cell"], "config": inner}
    return config


def _entry(key: str, class_name: str, config: dict) -> dict:
    """A nested Keras entry; a cell rnnkit defines but Keras lacks names its own module."""
    module, registered = "keras.layers", None
    if key == "cell" and class_name not in _KERAS_CELLS:
        module, registered = cells.cell_class(class_name).__module__, class_name
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": registered}


def _config_to_keras(class_name: str, config: dict) -> tuple[dict, dict]:
    keras_keys = KERAS_LAYER_KEYS.get(class_name)
    out, extras = {}, {}
    for key, value in _cell_options_to_cell(config).items():
        if key in _NESTED_LAYER_KEYS and isinstance(value, dict) and "class_name" in value:
            inner, inner_extras = _config_to_keras(value["class_name"], value["config"])
            out[key] = _entry(key, value["class_name"], inner)
            if inner_extras:
                extras[key] = inner_extras
        elif keras_keys is not None and key not in keras_keys:
            extras[key] = value  # an rnnkit-only option: Keras would refuse it
        else:
            out[key] = _value_to_keras(key, value, class_name)
    for key in keras_keys or ():
        if key not in out and key in KERAS_ONLY_NEUTRAL and key not in _NESTED_LAYER_KEYS:
            out[key] = KERAS_ONLY_NEUTRAL[key]
    if keras_keys is not None:  # Keras's key order, for files that diff cleanly against Keras's
        out = {k: out[k] for k in keras_keys if k in out} | out
    return out, extras


def layer_from_keras(entry: dict, extras: dict | None = None):
    """An rnnkit layer from a Keras layer entry, with rnnkit-only extras merged back."""
    cls = layer_class(entry["class_name"])
    config = _config_from_keras(cls, entry.get("config", {}), extras or {})
    return cls.from_config(config)


def _config_from_keras(cls, config: dict, extras: dict) -> dict:
    owner = f"layer {config.get('name', '?')!r} ({cls.__name__})"
    nested, plain = {}, {}
    for key, value in _cell_options_from_cell(config).items():
        if key in _NESTED_LAYER_KEYS and isinstance(value, dict) and "class_name" in value:
            inner_cls = _nested_class(key, value["class_name"])
            nested[key] = {"class_name": value["class_name"],
                           "config": _config_from_keras(inner_cls, value.get("config", {}),
                                                        extras.get(key, {}))}
        else:
            plain[key] = _value_from_keras(owner, key, value)
    plain = keep_supported(owner, cls, plain)
    plain.update({k: v for k, v in extras.items() if k not in _NESTED_LAYER_KEYS})
    return {**plain, **nested}


def input_layer_to_keras(batch_shape, dtype=None, name: str = "input_layer") -> dict:
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": list(batch_shape), "dtype": dtype or _config.floatx(),
                       "sparse": False, "ragged": False, "name": name, "optional": False},
            "registered_name": None}


def input_layer_from_keras(entry: dict):
    config = entry.get("config", {})
    owner = f"input layer {config.get('name', '?')!r}"
    keep_supported(owner, layers_module.InputLayer,
                   {k: v for k, v in config.items() if k not in ("batch_shape", "batch_input_shape")})
    batch_shape = config.get("batch_shape", config.get("batch_input_shape"))
    if batch_shape is None:
        raise UnsupportedModelError(f"{owner} has no batch_shape")
    dtype = config.get("dtype")
    return layers_module.InputLayer(shape=tuple(batch_shape[1:]), batch_size=batch_shape[0],
                                    dtype=dtype if isinstance(dtype, str) else None,
                                    name=config.get("name"))


# ---- compile config -------------------------------------------------------------------------------
def compile_to_keras(model) -> dict:
    return {"optimizer": optimizers_module.serialize(model.optimizer),
            "loss": losses_module.serialize(model.loss),
            "loss_weights": None,
            "metrics": _metrics_to_keras(model.compiled_metric_identifiers),
            "weighted_metrics": _metrics_to_keras(model.weighted_metric_identifiers),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def _metrics_to_keras(identifiers):
    return [metrics_module.serialize(m) for m in identifiers] if identifiers else None


def compile_from_keras(compile_config: dict) -> dict:
    """Keyword arguments for ``model.compile`` from a Keras compile_config."""
    # imported here, as Sequential is in model_from_keras_json: the model module loads later
    from ..model import COMPILE_KERAS_ONLY
    # Keras may write [] or {} for "none"
    COMPILE_KERAS_ONLY.check("compile", "loss_weights", compile_config.get("loss_weights") or None,
                             UnsupportedModelError)
    return {"optimizer": _optimizer_from_keras(compile_config.get("optimizer", "rmsprop")),
            "loss": _loss_from_keras(compile_config.get("loss")),
            "metrics": [_metric_from_keras(m) for m in _flat(compile_config.get("metrics"))],
            "weighted_metrics": [_metric_from_keras(m)
                                 for m in _flat(compile_config.get("weighted_metrics") or None)]}


def _optimizer_from_keras(spec):
    if isinstance(spec, dict):
        spec = {"class_name": spec.get("class_name"), "config": dict(spec.get("config") or {})}
    try:
        return optimizers_module.get(spec)      # a schedule's config becomes the schedule
    except ValueError as e:
        raise UnsupportedModelError(str(e)) from None


def _loss_from_keras(spec):
    if isinstance(spec, dict) and spec.get("class_name") == "function":
        spec = spec.get("config")  # a loss function saved by name, e.g. binary_crossentropy
    if isinstance(spec, dict):
        cls = type(losses_module.get({"class_name": spec.get("class_name"), "config": {}}))
        spec = cls(**keep_supported(f"loss {spec['class_name']}", cls, spec.get("config") or {}))
    return losses_module.get(spec) if spec is not None else None


def _metric_from_keras(spec):
    if isinstance(spec, dict):
        metrics_module.check_identifier({"class_name": spec.get("class_name")})
        cls = type(metrics_module.resolve({"class_name": spec["class_name"]}, None, None))
        return cls(**keep_supported(f"metric {spec['class_name']}", cls,
                                    spec.get("config") or {}))
    return spec


def _flat(metrics):
    if metrics is None:
        return []
    if not isinstance(metrics, list):
        return [metrics]
    return [m for item in metrics for m in (_flat(item) if isinstance(item, list) else [item])]


# ---- the Sequential model ---------------------------------------------------------------------------
def sequential_to_keras(model) -> tuple[dict, dict]:
    """(Keras's Sequential config, rnnkit-only extras keyed by layer name)."""
    entries, extras = [], {}
    if model.input_layer is not None or model.built:
        inp = model.input_layer
        entries.append(input_layer_to_keras(
            model.build_input_shape or (inp.batch_size,) + inp.shape,
            dtype=getattr(inp, "input_dtype", None), name=inp.name if inp else "input_layer"))
    for layer, shape in zip(model.layers, model.layer_input_shapes()):
        entry, layer_extras = layer_to_keras(layer, shape)
        entries.append(entry)
        if layer_extras:
            extras[layer.name] = layer_extras
    config = {"name": model.name, "trainable": model.trainable,
              "dtype": _dtype_policy(_config.floatx()), "layers": entries}
    if model.built:
        config["build_input_shape"] = list(model.build_input_shape)
    return config, extras


def sequential_config(model) -> dict:
    """The Sequential config with extras folded back in: rnnkit's own full round-trip form."""
    config, extras = sequential_to_keras(model)
    for entry in config["layers"]:
        _fold_extras(entry["config"], extras.get(entry["config"].get("name"), {}))
    return config


def _fold_extras(config: dict, extras: dict) -> None:
    for key, value in extras.items():
        if key in _NESTED_LAYER_KEYS:
            _fold_extras(config[key]["config"], value)
        else:
            config[key] = value


def sequential_from_config(config: dict, extras: dict | None = None):
    """A Sequential from Keras's config (a file's, or ``get_config()``'s)."""
    from ..model import Sequential

    entries = config.get("layers", [])
    missing = missing_layer_classes([e for e in entries if e.get("class_name") != "InputLayer"])
    if missing:
        raise UnsupportedModelError(missing_classes_message(missing))
    extras = extras or {}
    model = Sequential(name=config.get("name"), trainable=config.get("trainable", True))
    for entry in entries:
        if entry.get("class_name") == "InputLayer":
            model.add(input_layer_from_keras(entry))
        else:
            name = entry.get("config", {}).get("name")
            model.add(layer_from_keras(entry, extras.get(name)))
    shape = config.get("build_input_shape")
    if shape is not None and not model.built:
        model.build(tuple(shape))
    return model


def model_to_keras_json(model) -> tuple[dict, dict]:
    """(config.json content, extras) for a .keras file."""
    writer = _MODEL_WRITERS[model.keras_class_name]
    config, extras = writer(model)
    for entry in config["layers"]:
        _refuse_functions(entry["config"])
    top = {**_MODEL_ENTRIES[model.keras_class_name], "config": config}
    top["registered_name"] = top.pop("registered_name")     # Keras's key order: after config
    if model.keras_class_name == "Functional":
        top["build_config"] = {"input_shape": None}     # as Keras writes it
    elif model.built:
        top["build_config"] = {"input_shape": list(model.build_input_shape)}
    # an uncompiled Keras model writes an empty compile_config, which loads as "not compiled"
    top["compile_config"] = compile_to_keras(model) if model.compiled else {}
    return top, extras


def _refuse_functions(config: dict) -> None:
    """A Python function in a layer's options (TextVectorization's standardize or split) cannot
    go in a file: Keras would need it registered as a serializable object to load it."""
    for key, value in config.items():
        if callable(value):
            raise UnsupportedModelError(
                f"layer {config.get('name')!r}: {key}={getattr(value, '__name__', value)!r} is a "
                f"Python function, which a .keras file cannot hold (Keras needs a function "
                f"registered with keras.saving.register_keras_serializable); use a built-in "
                f"{key} option, or apply the function to the texts before the model")


def model_from_keras_json(top: dict, extras: dict | None = None):
    """An (uncompiled) Sequential or Functional model from a .keras file's config.json."""
    kind = top.get("class_name")
    if kind not in _MODEL_READERS:
        raise UnsupportedModelError(f"rnnkit loads Sequential and Functional models; this "
                                    f"file holds a {kind!r} model")
    return _MODEL_READERS[kind](top.get("config", {}), extras)


# ---- the legacy .h5 form (Keras 2 / tf.keras, Keras 3's legacy saver) ----------------------------
# tf.keras's optimizer configs say how it ran (jit_compile) and which of its two optimizer
# classes it used (is_legacy_optimizer, same math for these optimizers); Keras 2's ``decay`` (a
# 1/t learning-rate decay) has no rnnkit counterpart unless it is off.
_LEGACY_OPTIMIZER = KerasOptions(ignored=frozenset({"jit_compile", "is_legacy_optimizer"}),
                                 defaults={"decay": 0.0})


def model_to_legacy_json(model) -> tuple[dict, dict | None, dict]:
    """(model_config, training_config or None, extras) as Keras 3's legacy saver writes them:
    the Keras 3 config with its top-level layer entries in the legacy form (_legacy_entry)."""
    top, extras = model_to_keras_json(model)
    config = dict(top["config"])
    config["layers"] = [_legacy_entry(e) for e in config["layers"]]
    training = None
    if top["compile_config"]:                   # {}: not compiled
        training = dict(top["compile_config"])
        optimizer = training.pop("optimizer")
        training["optimizer_config"] = {"class_name": optimizer["class_name"],
                                        "config": optimizer["config"]}
    return {"class_name": top["class_name"], "config": config}, training, extras


def _legacy_entry(entry: dict) -> dict:
    """Keras 3's legacy serializer keeps a layer's class_name and config only (no module,
    registered_name or build_config); a Functional's entries keep their name and inbound nodes,
    which Keras 3 writes in its own node form ({"args", "kwargs"}), not Keras 2's lists."""
    out = {"class_name": entry["class_name"], "config": entry["config"]}
    out.update({key: entry[key] for key in ("name", "inbound_nodes") if key in entry})
    return out


def model_from_legacy_json(model_config: dict, extras: dict | None = None):
    """An (uncompiled) model from a legacy .h5 file's model_config, through the Keras 3 reader."""
    top = dict(model_config)
    config = top.get("config") or {}
    if isinstance(config, list):  # Keras <= 2.2 wrote a Sequential's config as its layer list
        config = {"name": "sequential", "layers": config}
    if top.get("class_name") == "Model":  # Keras 2 before tf.keras 2.4 called Functional so
        top["class_name"] = "Functional"
    entries = config.get("layers") or []
    if top.get("class_name") == "Functional":
        entries = [_legacy_graph_entry(e) for e in entries]
    else:
        entries = _legacy_input_entries(entries)
    top["config"] = {**config, "layers": entries}
    return model_from_keras_json(top, extras)


def _legacy_graph_entry(entry: dict) -> dict:
    """A Functional layer entry in Keras 3's form: Keras 2's nested-list inbound nodes
    converted, and the ``batch_input_shape`` tf.keras also put on layers made with an input
    shape dropped (the graph's InputLayer has the shape)."""
    config = dict(entry.get("config") or {})
    name = entry.get("name") or config.get("name")
    if entry.get("class_name") != "InputLayer":
        config.pop("batch_input_shape", None)
    nodes = entry.get("inbound_nodes") or []
    if not isinstance(nodes, list):
        raise UnsupportedModelError(f"layer {name!r}: inbound_nodes is {nodes!r}, not a list")
    return {**entry, "config": config, "inbound_nodes": [_keras2_node(n, name) for n in nodes]}


def _keras2_node(node, name):
    """tf.keras 2's node ``[["embedding", 0, 0, {}], …]`` (one [layer, node, tensor, kwargs]
    per input tensor) as Keras 3's ``{"args": [tensor or [tensors]], "kwargs": {…}}``; like
    Keras 3's reader, one input is passed alone and the last entry's kwargs are the call's."""
    if not isinstance(node, list):
        return node  # Keras 3's own form (its legacy saver writes it)
    if not node or not all(isinstance(t, list) and len(t) in (3, 4) and isinstance(t[0], str)
                           for t in node):
        raise UnsupportedModelError(f"layer {name!r}: inbound node {node!r} is neither Keras "
                                    f"3's {{args, kwargs}} nor Keras 2's [[layer, node, "
                                    f"tensor, kwargs], …]")
    tensors = [{"class_name": "__keras_tensor__", "config": {"keras_history": list(t[:3])}}
               for t in node]
    kwargs = node[-1][3] if len(node[-1]) == 4 else {}
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs or {}}


def _legacy_input_entries(entries: list) -> list:
    """Keras 2 put the input shape on the first layer (``batch_input_shape``); Keras 3 has an
    InputLayer entry for it. tf.keras wrote both, older Keras only the first."""
    out: list = []
    for entry in entries:
        config = dict(entry.get("config") or {})
        if entry.get("class_name") != "InputLayer":
            shape = config.pop("batch_input_shape", None)
            if shape is not None and not out:
                out.append({"class_name": "InputLayer",
                            "config": {"batch_shape": shape,
                                       "name": f"{config.get('name', 'layer')}_input"}})
        out.append({**entry, "config": config})
    return out


def compile_from_legacy(training_config: dict) -> dict:
    """Keyword arguments for ``model.compile`` from a legacy .h5 file's training_config."""
    config = {k: v for k, v in training_config.items() if k != "optimizer_config"}
    config["optimizer"] = _legacy_optimizer(training_config.get("optimizer_config", "rmsprop"))
    for key in ("metrics", "weighted_metrics"):
        if training_config.get(key) is not None:
            config[key] = [_legacy_metric(m) for m in _flat(training_config[key])]
    return compile_from_keras(config)


def _legacy_optimizer(spec):
    if not isinstance(spec, dict):
        return spec
    # tf.keras 2.11+ registered its optimizers as "Custom>Adam"; Keras <= 2.2 said "lr"
    name = str(spec.get("class_name")).removeprefix("Custom>")
    config = dict(spec.get("config") or {})
    if "lr" in config and "learning_rate" not in config:
        config["learning_rate"] = config.pop("lr")
    _LEGACY_OPTIMIZER.pop(f"optimizer {name}", config, UnsupportedModelError)
    return {"class_name": name, "config": config}


def _legacy_metric(spec):
    """tf.keras saved ``metrics=["accuracy"]`` as the MeanMetricWrapper it resolved the name to;
    its name (or its function's name) is what ``compile`` resolves again."""
    if isinstance(spec, dict) and spec.get("class_name") == "MeanMetricWrapper":
        config = spec.get("config") or {}
        return config["name"] if config.get("name") in ("accuracy", "acc") else config.get("fn")
    return spec


# ---- the Functional model -----------------------------------------------------------------------------
# What Keras 3 records as a node's keyword arguments for each layer class (its call signature's
# training and mask, at their values for a plain call); a mask given here as None makes Keras
# fill in the input's own mask when it rebuilds the graph, as rnnkit's walk computes it.
_CALL_KWARGS = {
    **{name: {"training": False, "mask": None} for name in ("LSTM", "GRU", "SimpleRNN", "RNN")},
    "Bidirectional": {"mask": None},
    "Dropout": {"training": False}, "SpatialDropout1D": {"training": False},
    "GlobalAveragePooling1D": {"mask": None},
}
# Keras operations (not layers) that a Keras-written graph holds for its masks (NotEqual, Any,
# LogicalOr …): rnnkit recomputes masks with each layer's compute_mask, so they are dropped.
_KERAS_OPS_MODULE = "keras.src.ops."
_NODE_KWARGS_READ = frozenset({"mask", "training"})


def functional_to_keras(model) -> tuple[dict, dict]:
    """(Keras's Functional config, rnnkit-only extras keyed by layer name)."""
    index = _node_indices(model)
    entries, extras = [], {}
    for layer in model.layers:
        if isinstance(layer, layers_module.InputLayer):
            entry = input_layer_to_keras((layer.batch_size,) + layer.shape,
                                         dtype=layer.input_dtype, name=layer.name)
        else:
            entry, layer_extras = layer_to_keras(layer, layer.input_shape)
            if layer_extras:
                extras[layer.name] = layer_extras
        entry["name"] = layer.name
        entry["inbound_nodes"] = [_node_to_keras(node, index)
                                  for node in model.layer_nodes(layer) if not node.is_input]
        entries.append(entry)
    config = {"name": model.name, "trainable": model.trainable, "layers": entries,
              "input_layers": _structure_to_keras(model.input_structure(), index),
              "output_layers": _structure_to_keras(model.output_structure(), index)}
    return config, extras


def _build_shape(shape) -> list:
    """A layer's build shape as JSON lists (a list of shapes for a multi-input layer)."""
    if shape and isinstance(shape[0], (tuple, list)):
        return [list(s) for s in shape]
    return list(shape)


def _node_indices(model) -> dict:
    """Each node's number among its layer's calls *in this model* (Keras renumbers them so a
    layer used in other models too counts only this one's)."""
    return {node: i for layer in model.layers for i, node in enumerate(model.layer_nodes(layer))}


def _history(tensor, index) -> list:
    history = tensor._keras_history
    return [history.layer.name, index[history.node], history.tensor_index]


def _tensor_to_keras(tensor, index) -> dict:
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": tensor.dtype,
                       "keras_history": _history(tensor, index)}}


def _node_to_keras(node, index) -> dict:
    arg = [_tensor_to_keras(t, index) for t in node.inputs] if isinstance(node.inputs, list) \
        else _tensor_to_keras(node.inputs, index)
    return {"args": [arg], "kwargs": dict(_CALL_KWARGS.get(type(node.layer).__name__, {}))}


def _structure_to_keras(structure, index):
    if isinstance(structure, dict):
        return {key: _history(t, index) for key, t in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_history(t, index) for t in structure]
    return _history(structure, index)


def functional_config(model) -> dict:
    """The Functional config with extras folded back in: rnnkit's own round-trip form."""
    config, extras = functional_to_keras(model)
    for entry in config["layers"]:
        _fold_extras(entry["config"], extras.get(entry["config"].get("name"), {}))
    return config


def functional_from_config(config: dict, extras: dict | None = None):
    """A Functional model from Keras's config: the layers made, then called node by node as
    Keras's functional_from_config does (a node waits until the tensors it reads exist)."""
    from ..functional.model import Functional

    if not config.get("input_layers") or not config.get("output_layers"):
        raise UnsupportedModelError("the Functional config has no input_layers or "
                                    "output_layers, so its graph cannot be rebuilt")
    entries = [{**e, "name": e.get("name") or e.get("config", {}).get("name")}
               for e in config.get("layers", [])]
    ops = _keras_ops(entries, config)
    entries = [e for e in entries if e.get("name") not in ops]
    missing = missing_layer_classes([e for e in entries if e.get("class_name") != "InputLayer"])
    if missing:
        raise UnsupportedModelError(missing_classes_message(missing))
    extras = extras or {}
    made, outputs = {}, {}
    for entry in entries:
        name = entry["name"]
        if entry.get("class_name") == "InputLayer":
            layer = input_layer_from_keras(entry)
            outputs[name] = [[layer.output]]
        else:
            layer = layer_from_keras(entry, extras.get(name))
            outputs[name] = []
        made[name] = layer
    _call_nodes(entries, made, outputs, ops)
    return Functional(_structure_from_keras(config.get("input_layers"), outputs, "input_layers"),
                      _structure_from_keras(config.get("output_layers"), outputs,
                                            "output_layers"),
                      name=config.get("name"), trainable=config.get("trainable", True))


def _keras_ops(entries, config) -> set:
    """The names of the Keras operations among the entries (rnnkit drops them: it recomputes
    masks). A .keras file names their module. Keras 3's legacy saver writes no modules, and an
    operation may share a layer's class name (ops.concatenate's is "Concatenate"), so there
    they are the entries the outputs do not reach through positional arguments: what only
    masks read (NotEqual under Embedding(mask_zero), LogicalOr and Any around merges, …)."""
    ops = {e["name"] for e in entries if str(e.get("module", "")).startswith(_KERAS_OPS_MODULE)}
    nodes = {e["name"]: e.get("inbound_nodes") or [] for e in entries}
    data, todo = set(), _history_names(config.get("output_layers"))
    while todo:
        name = todo.pop()
        if name not in data:
            data.add(name)
            todo += _history_names([n.get("args") for n in nodes.get(name, [])
                                    if isinstance(n, dict)])
    return ops | {e["name"] for e in entries if "module" not in e and e["name"] not in data
                  and e.get("class_name") != "InputLayer"}


def _history_names(value) -> list:
    """The layer names in every keras_history (and [name, node, tensor]) inside ``value``."""
    if isinstance(value, dict):
        history = (value.get("config") or {}).get("keras_history") \
            if value.get("class_name") == "__keras_tensor__" else None
        return [history[0]] if isinstance(history, list) and history else []
    if isinstance(value, list):
        if len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], int):
            return [value[0]]
        return [name for item in value for name in _history_names(item)]
    return []


def _call_nodes(entries, made, outputs, ops) -> None:
    """Call every layer on its nodes' tensors, passing over the layers until all are done."""
    pending = {e["name"]: list(e.get("inbound_nodes") or []) for e in entries
               if e.get("class_name") != "InputLayer"}
    while any(pending.values()):
        progress = False
        for name, nodes in pending.items():
            while nodes and _ready(nodes[0], outputs, ops, name):
                result = made[name](_node_argument(nodes.pop(0), outputs, name))
                outputs[name].append(result if isinstance(result, list) else [result])
                progress = True
        if not progress:
            waiting = ", ".join(n for n, nodes in pending.items() if nodes)
            raise UnsupportedModelError(f"the model's graph cannot be rebuilt: layers "
                                        f"{waiting} read tensors no layer makes")


def _node_tensors(node: dict, name: str) -> list:
    if not isinstance(node, dict):
        raise UnsupportedModelError(f"layer {name!r}: inbound nodes in the Keras 2 format; "
                                    f"re-save the model with Keras 3")
    for key, value in (node.get("kwargs") or {}).items():
        if key not in _NODE_KWARGS_READ or (key == "training" and value):
            raise UnsupportedModelError(f"layer {name!r} is called with {key}={value!r}, "
                                        f"which rnnkit does not support")
    args = node.get("args") or []
    if len(args) != 1:
        raise UnsupportedModelError(f"layer {name!r} is called with {len(args)} positional "
                                    f"arguments; rnnkit layers take one (a tensor or a list)")
    return args[0] if isinstance(args[0], list) else [args[0]]


def _ready(node, outputs, ops, name) -> bool:
    for t in _node_tensors(node, name):
        source, node_index, _ = t["config"]["keras_history"]
        if source in ops:
            raise UnsupportedModelError(f"layer {name!r} reads the output of the Keras "
                                        f"operation {source!r}, which rnnkit does not have")
        if source not in outputs:
            raise UnsupportedModelError(f"layer {name!r} reads the output of layer "
                                        f"{source!r}, which the model's config does not have")
        if node_index >= len(outputs.get(source, [])):
            return False
    return True


def _node_argument(node, outputs, name):
    tensors = [_tensor_from_keras(t["config"]["keras_history"], outputs, f"layer {name!r}")
               for t in _node_tensors(node, name)]
    return tensors if isinstance(node["args"][0], list) else tensors[0]


def _tensor_from_keras(history, outputs, reader: str):
    """The tensor a [layer name, node index, tensor index] names; a name, call or output the
    rebuilt graph lacks is the file's fault and is said so (not an IndexError)."""
    if not (isinstance(history, list) and len(history) == 3):
        raise UnsupportedModelError(f"{reader} names the tensor {history!r}, which is not "
                                    f"[layer name, node index, tensor index]")
    source, node_index, tensor_index = history
    calls = outputs.get(source)
    if calls is None:
        raise UnsupportedModelError(f"{reader} reads layer {source!r}, which the model's "
                                    f"config does not have")
    if node_index >= len(calls) or tensor_index >= len(calls[node_index]):
        raise UnsupportedModelError(f"{reader} reads output {tensor_index} of call "
                                    f"{node_index} of layer {source!r}, which the model's "
                                    f"config never makes ({len(calls)} calls)")
    return calls[node_index][tensor_index]


def _structure_from_keras(structure, outputs, key: str):
    """input_layers / output_layers: one [name, node, tensor], a list of them or a dict."""
    reader = f"the model's {key}"
    if isinstance(structure, dict):
        return {k: _tensor_from_keras(h, outputs, reader) for k, h in structure.items()}
    if structure and isinstance(structure[0], list):
        return [_tensor_from_keras(h, outputs, reader) for h in structure]
    return _tensor_from_keras(structure, outputs, reader)


_MODEL_ENTRIES = {
    "Sequential": {"module": "keras", "class_name": "Sequential", "registered_name": None},
    "Functional": {"module": "keras.src.models.functional", "class_name": "Functional",
                   "registered_name": "Functional"},
}
_MODEL_WRITERS = {"Sequential": sequential_to_keras, "Functional": functional_to_keras}
_MODEL_READERS = {"Sequential": sequential_from_config, "Functional": functional_from_config}
