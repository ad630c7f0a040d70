"""Model and Sequential: layers with Keras's model API.

``Model`` holds what every model shares (weights, compile, fit/evaluate/predict, files);
``Sequential`` is a stack of layers and ``Functional`` (functional/model.py, what
``Model(inputs, outputs)`` makes) a graph of them. Both hand the engines a ``graph``
(functional/graph.py): Sequential's is a chain.

The model is a description — layers, their configs and weights (Keras layout), the compiled
loss, optimizer and metrics. Computing is delegated: ``fit``/``evaluate``/``predict`` run the
shared loop in training.py, which asks the engine chosen at ``compile(engine=...)`` for train,
eval and predict steps; saving is saving/. Building is lazy, as in Keras: with an ``Input`` (or
``input_shape=`` on the first layer) the model builds at once, otherwise on the first data.
"""

from __future__ import annotations

import numpy as np

from . import engines
from . import losses as losses_module
from . import optimizers as optimizers_module
from . import training
from .keras_options import KerasOptions
from .functional.graph import Graph
from .functional.symbolic import KerasTensor, is_symbolic
from .layers import InputLayer, Layer
from .naming import unique_name

# compile's Keras options for features rnnkit does not have (run_eagerly, jit_compile and
# auto_scale_loss are execution hints: any value means the same here).
COMPILE_KERAS_ONLY = KerasOptions(
    ignored=frozenset({"run_eagerly", "jit_compile", "auto_scale_loss"}),
    defaults={"steps_per_execution": 1, "loss_weights": None})


class Model:
    """What every model shares: weights, compile, fit/evaluate/predict, summary and files.

    ``Model(inputs, outputs)`` makes a ``Functional`` model (a graph of layers), as in Keras;
    ``Sequential`` is the other kind. A model provides ``layers``, ``compute_layers`` (what an
    engine runs), ``preprocessing_layers`` (run on the host first), ``graph`` (the compute
    layers' calls, functional/graph.py) and its shapes.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model:        # Keras's Model(inputs, outputs) is a Functional model
            from .functional.model import Functional
            return super().__new__(Functional)
        return super().__new__(cls)

    @classmethod
    def from_config(cls, config: dict) -> "Model":
        """``Model.from_config``: a Functional model, as Keras makes one."""
        from .functional.model import Functional
        return Functional.from_config(config)

    def _init_state(self, name: str, trainable: bool) -> None:
        self.name = name
        self.trainable = bool(trainable)
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.compiled_metric_identifiers: list = []
        self.weighted_metric_identifiers: list = []
        self.step_metrics = training.StepMetrics([])
        self._engine = None
        self.stop_training = False
        self.history = None
        #: where a running fit is (fit_loop.FitLoop), for callbacks that save and restore it
        self.fit_loop = None
        #: Facts about the model that travel with it in its .keras file (metadata.json, which
        #: Keras ignores), JSON values only: ``rnnkit train`` records the classes (label values
        #: in output order, display names) and the recipe there, so one file is a classifier.
        self.metadata: dict = {}

    def preprocess(self, x):
        """Raw inputs through the preprocessing layers (strings → ids), else ``x`` unchanged.

        Strings (NumPy kind U/S, or objects holding str) go through them; numbers are taken to
        be already preprocessed — the ids the first computing layer reads, as a model trained on
        encoded data passes them — and reach the engine untouched, where their shape is checked.
        """
        layers = self.preprocessing_layers
        if not layers or not _is_text(x):
            return x
        x = np.asarray(x, dtype=object if isinstance(x, (list, tuple)) else None)
        if not self.built:
            self.build((None,) + x.shape[1:])
        for layer in layers:
            x = layer.forward(x)
        return x

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the layers are "
                         f"{', '.join(l.name for l in layers)}")

    def check_targets(self, y: np.ndarray, what: str = "y") -> None:
        """The loss's label checks against the model's output shape (one-line errors)."""
        try:
            self.loss.check_targets(y, self.output_shape)
        except ValueError as e:
            raise ValueError(f"{what}: {e}") from None

    # ---- weights --------------------------------------------------------------------------------
    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.params()]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        if not self.trainable:
            return []
        return [w for layer in self.layers if layer.trainable for w in layer.params()]

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight, layer by layer, each layer's in Keras's order."""
        self._require_built("get_weights")
        return [w.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Load a list in ``get_weights()`` order; shapes must match exactly."""
        self._require_built("set_weights")
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"model {self.name!r} has {len(own)} weight arrays, got "
                             f"{len(weights)}")
        for i, (dst, src) in enumerate(zip(own, weights)):
            if np.shape(src) != dst.shape:
                raise ValueError(f"model {self.name!r} weight {i} has shape {dst.shape}, got "
                                 f"{np.shape(src)}")
        for dst, src in zip(own, weights):
            dst[...] = src

    def count_params(self) -> int:
        self._require_built("count_params")
        return int(sum(w.size for w in self.weights))

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(f"model {self.name!r} is not built yet, so {what}() has nothing to "
                             f"work on; add an Input, call build((None, …)) or fit it first")

    # ---- compile and run ----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution: int = 1,
                jit_compile="auto", auto_scale_loss=True, engine: str = "numpy",
                **engine_options) -> None:
        """Choose the optimizer, loss, metrics and the engine that runs the steps.

        Positional order is Keras 3's (optimizer, loss, loss_weights, metrics, …).

        ``engine_options`` go to the engine, e.g. ``engine="torch", device="cuda",
        mixed_precision=True``.

        ``run_eagerly``, ``jit_compile`` and ``auto_scale_loss`` are Keras execution hints with
        no effect here.
        """
        COMPILE_KERAS_ONLY.check_all("compile", steps_per_execution=steps_per_execution,
                                     loss_weights=loss_weights)
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss) if loss is not None else None
        self.compiled_metric_identifiers = _metric_list(metrics)
        self.weighted_metric_identifiers = _metric_list(weighted_metrics)
        self.step_metrics = training.StepMetrics(self.compiled_metric_identifiers,
                                                 self.weighted_metric_identifiers)
        self._engine = engines.get(engine)(self, **engine_options)
        self.compiled = True

    def require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise ValueError(f"model {self.name!r} must be compiled before {what}(); call "
                             f"model.compile(optimizer=..., loss=...) first")
        if self.loss is None:
            raise ValueError(f"model {self.name!r} was compiled without a loss; {what}() needs "
                             f"one, e.g. compile(loss='binary_crossentropy')")

    @property
    def engine(self):
        if self._engine is None:
            # predict works before compile, on a default engine made for the call: keeping it
            # would make inference write on the model (and race between predicting threads)
            return engines.get("numpy")(self)
        return self._engine

    @property
    def metrics(self) -> list:
        return self.step_metrics.all

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a History (``history.history['val_loss']``).

        ``class_weight={0: 1.0, 1: 3.0}`` or ``sample_weight`` (one weight per sample) weight
        each sample's loss, as Keras does."""
        return training.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                            callbacks=callbacks, validation_split=validation_split,
                            validation_data=validation_data, shuffle=shuffle,
                            class_weight=class_weight, sample_weight=sample_weight,
                            initial_epoch=initial_epoch,
                            validation_batch_size=validation_batch_size,
                            validation_freq=validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 callbacks=None, return_dict=False):
        """[loss, metrics…] over (x, y) in inference mode."""
        return training.evaluate(self, x, y, batch_size=batch_size, verbose=verbose,
                                 sample_weight=sample_weight, callbacks=callbacks,
                                 return_dict=return_dict)

    def predict(self, x, batch_size=None, verbose="auto", callbacks=None) -> np.ndarray:
        """Outputs for every sample of x, e.g. (n, 1) probabilities for a sigmoid output."""
        return training.predict(self, x, batch_size=batch_size, verbose=verbose,
                                callbacks=callbacks)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        return training.train_on_batch(self, x, y, sample_weight=sample_weight,
                                       class_weight=class_weight, return_dict=return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        return training.test_on_batch(self, x, y, sample_weight=sample_weight,
                                      return_dict=return_dict)

    def predict_on_batch(self, x) -> np.ndarray:
        return training.predict_on_batch(self, x)

    def __call__(self, x, training: bool = False) -> np.ndarray:
        """Forward pass on one batch (``training=True`` turns dropout on)."""
        if is_symbolic(x):
            raise TypeError(f"model {self.name!r} was called on symbolic tensors; rnnkit does "
                            f"not nest models — call its layers on them instead")
        x = np.asarray(self.preprocess(x))
        self.build_for_data(x, len(x))
        return self.engine.forward(x, training=training)

    # ---- description, files ----------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None) -> None:
        """Print Keras's summary table (layers, output shapes, parameter counts, totals)."""
        from .summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def save(self, filepath, overwrite: bool = True) -> None:
        """Write a Keras 3 ``.keras`` file (config, metadata, weights, optimizer state)."""
        from .saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite: bool = True) -> None:
        """Write a Keras 3 ``.weights.h5`` file."""
        from .saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath) -> None:
        """Read weights from a ``.weights.h5`` or ``.keras`` file into this (built) model."""
        from .saving import load_weights
        load_weights(self, filepath)

    def export(self, filepath, format="tf_saved_model", verbose=True, input_signature=None,
               **kwargs) -> None:
        """Write the model for inference without rnnkit: ``format="onnx"`` is the one rnnkit
        writes (Keras 3's default, "tf_saved_model", needs TensorFlow and is refused).

        ``input_signature``: None (batch and time dynamic) or one shape such as ``(None, 300)``
        fixing some axes. ``kwargs``: ``opset_version`` (default 17) and ``one_hot_input=True``
        (a model fed one-hot vectors takes token ids and one-hot encodes them in the graph).
        The file is replaced if it exists, as Keras does; needs ``pip install "rnnkit[onnx]"``.
        """
        from .onnx_export import export_model
        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)



class Sequential(Model):
    """``Sequential([layers.Embedding(500, 16), layers.LSTM(8), layers.Dense(1, "sigmoid")])``."""

    keras_class_name = "Sequential"

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None):
        self._init_state(name or unique_name("sequential"), trainable)
        self.input_layer: InputLayer | None = None
        self._layers: list[Layer] = []
        self.build_input_shape: tuple | None = None
        for layer in layers or []:
            self.add(layer)

    # ---- structure -------------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """The layers, without the Input (as in Keras)."""
        return list(self._layers)

    @property
    def built(self) -> bool:
        return self.build_input_shape is not None

    def add(self, layer: Layer) -> None:
        """Append a layer; an ``Input`` may only come first."""
        if isinstance(layer, KerasTensor):      # Input(...): Keras adds its InputLayer
            layer = _input_layer_of(layer)
        if isinstance(layer, InputLayer):
            if self._layers or self.input_layer is not None:
                raise ValueError("an Input must be the first thing added to a Sequential model")
            self.input_layer = layer
            self.build((layer.batch_size,) + layer.shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a rnnkit layer, got {layer!r}")
        if layer.preprocessing and self.compute_layers:
            raise ValueError(f"{type(layer).__name__} {layer.name!r} is a preprocessing layer; "
                             f"add it before {self.compute_layers[0].name!r} (preprocessing "
                             f"layers come first, before every layer the engine runs)")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"all layers of a model need unique names; {layer.name!r} is "
                             f"already in {self.name!r}")
        if not self._layers and self.input_layer is None and layer.input_shape_hint is not None:
            self.input_layer = InputLayer(shape=layer.input_shape_hint)  # Keras 2's input_shape=
        self._layers.append(layer)
        if self.input_layer is not None or self.built:
            self.build(self.build_input_shape or (self.input_layer.batch_size,)
                       + self.input_layer.shape)

    @property
    def preprocessing_layers(self) -> list[Layer]:
        """The leading preprocessing layers (e.g. TextVectorization), run on the host."""
        count = next((i for i, layer in enumerate(self._layers) if not layer.preprocessing),
                     len(self._layers))
        return self._layers[:count]

    @property
    def compute_layers(self) -> list[Layer]:
        """The layers an engine runs: every layer after the preprocessing ones."""
        return self._layers[len(self.preprocessing_layers):]

    def pop(self) -> Layer:
        if not self._layers:
            raise ValueError(f"model {self.name!r} has no layers to pop")
        return self._layers.pop()

    @property
    def graph(self) -> Graph:
        """The compute layers as the chain the engines walk."""
        return Graph.chain(self.compute_layers)

    # ---- shapes ---------------------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Build every layer for ``input_shape`` (batch axis first, e.g. ``(None, 100)``)."""
        shape = tuple(input_shape)
        for layer in self._layers:
            if not isinstance(shape, tuple):
                raise ValueError(f"layer before {layer.name!r} returns several outputs "
                                 f"(return_state=True?); a Sequential layer must return one")
            layer.ensure_built(shape)
            shape = _as_shape(layer.compute_output_shape(shape))
        self.build_input_shape = tuple(input_shape)

    def build_for_data(self, x: np.ndarray, batch_size: int) -> None:
        """Build from the first batch's shape (Keras's lazy build), or check x fits the build."""
        if not self._layers:
            raise ValueError(f"model {self.name!r} has no layers; add some before using it")
        if self.preprocessing_layers and not self.built:
            raise ValueError(f"model {self.name!r} starts with a preprocessing layer and is not "
                             f"built; call it on raw inputs (e.g. texts) first, or add an Input")
        if not self.built or any(not layer.built for layer in self._layers):
            self.build(self.build_input_shape or (min(batch_size, len(x)),) + x.shape[1:])
        expected = self.compute_input_shape[1:]
        if len(expected) != x.ndim - 1:
            raise ValueError(f"model {self.name!r} expects inputs of shape "
                             f"{_shape_str((None,) + expected)}, got {x.shape}")

    def layer_output_shapes(self) -> list:
        """Each layer's output shape for the built input shape (None entries if unbuilt)."""
        if not self.built:
            return [None] * len(self._layers)
        shapes, shape = [], self.build_input_shape
        for layer in self._layers:
            shape = _as_shape(layer.compute_output_shape(shape))
            shapes.append(shape)
        return shapes

    @property
    def compute_input_shape(self) -> tuple | None:
        """The input shape of the first computing layer (after preprocessing)."""
        shape = self.build_input_shape
        for layer in self.preprocessing_layers if shape is not None else ():
            shape = _as_shape(layer.compute_output_shape(shape))
        return shape

    def layer_input_shapes(self) -> list:
        if not self.built:
            return [None] * len(self._layers)
        return [self.build_input_shape] + self.layer_output_shapes()[:-1]

    @property
    def output_shape(self):
        return self.layer_output_shapes()[-1] if self._layers else None

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = _as_shape(layer.compute_output_shape(shape))
        return shape

    # ---- description ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras's Sequential config (layer entries with rnnkit-only options folded in)."""
        from .saving import keras_format
        return keras_format.sequential_config(self)

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        from .saving import keras_format
        return keras_format.sequential_from_config(config)

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, {len(self._layers)} layers>"

def _metric_list(metrics) -> list:
    """compile's ``metrics`` / ``weighted_metrics``: one identifier or a list of them."""
    if isinstance(metrics, (str, dict)) or hasattr(metrics, "update_state"):
        metrics = [metrics]
    return list(metrics or [])


def _is_text(x) -> bool:
    """Raw text: a str, an array of strings, or a list/array holding str objects."""
    if isinstance(x, str):
        return True
    arr = np.asarray(x, dtype=object) if isinstance(x, (list, tuple)) else x
    if not isinstance(arr, np.ndarray):
        return False
    if arr.dtype.kind in "US":
        return True
    return arr.dtype == object and arr.size > 0 and isinstance(arr.flat[0], (str, bytes))


def _input_layer_of(tensor: KerasTensor) -> InputLayer:
    layer = tensor._keras_history.layer
    if not isinstance(layer, InputLayer):
        raise ValueError(f"Sequential.add takes layers or an Input; {tensor!r} is the output "
                         f"of layer {layer.name!r} (use rnnkit.Model(inputs, outputs) for a graph)")
    return layer


def _as_shape(shape):
    return tuple(shape) if isinstance(shape, tuple) else shape


def _shape_str(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"
