"""The layer contract every engine and the training loop rely on.

A layer is a model description (its Keras config) plus its NumPy math:

* ``build(input_shape)`` creates the weights, in Keras's order and layout, from the initializers;
* ``forward(x, training=False, mask=None) -> y`` computes the output and nothing else: it writes
  no attribute on the layer (nor its cell), so one model can predict from many threads at once.
  Only ``training=True`` touches the layer's state, by drawing dropout masks from ``self.rng``;
* ``forward_train(x, training=True, mask=None) -> (y, cache)`` computes the same output and
  returns what ``backward`` needs as a cache object (a small dataclass per layer: ``DenseCache``,
  ``RNNCache`` …). ``training=False`` gives the inference-mode function with a cache, which is
  what gradient checks of the inference function differentiate;
* ``backward(dy, cache) -> (dx, grads)`` returns dL/dx and dL/dw for every weight, a list in
  ``weight_names`` order (empty for a layer without weights; dx is None for integer inputs);
* ``compute_mask`` / ``compute_output_shape`` describe what flows to the next layer;
* optionally ``save_assets(dir_path)`` / ``load_assets(dir_path)`` (Keras 3's names): files the
  layer keeps beside its weights in a .keras archive, such as a vocabulary (saving/assets.py).

The caller holds the caches and gradients (the engine's train step, ``gradcheck``), so a layer
is a pure function of its weights. Weights are updated in place by optimizers, so ``params()``
hands out the live arrays.
"""

from __future__ import annotations

import numpy as np

from .. import config as _config
from .. import random as _random
from ..functional.symbolic import call_symbolic, is_symbolic
from ..keras_options import KerasOptions, refuse_unknown
from ..naming import clear_session, snake_case, unique_name  # noqa: F401 (re-exported)

# Keras's regularizers, constraints and LoRA, which rnnkit lacks: accepted at None (as Keras
# writes them in every config), refused otherwise.
KERAS_ONLY = KerasOptions(defaults={"*_regularizer": None, "*_constraint": None,
                                    "lora_rank": None})


def check_fraction(name: str, value) -> float:
    """A rate in [0, 1), as dropout rates must be."""
    if not isinstance(value, (int, float, np.floating)) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{name} must be a float in [0, 1), got {value!r}")
    return float(value)


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class Layer:
    """Base class: name, dtype, weights and gradients, config round-trip."""

    #: A preprocessing layer (``TextVectorization``: strings → ids) runs on the host, in NumPy,
    #: before the engine: it has no trainable weights and no backward pass, and it may only
    #: come first in a model (``Sequential.preprocess``). Keras runs such layers on the CPU too.
    preprocessing = False

    #: A merge layer (``Concatenate``, ``Add`` …) takes a list of inputs: ``build`` a list of
    #: shapes, ``forward`` a list of arrays and masks, ``backward`` a list of gradients.
    multi_input = False

    #: Keras keyword arguments every layer accepts.
    _BASE_KWARGS = ("name", "trainable", "dtype", "input_shape", "seed")

    def __init__(self, name: str | None = None, trainable: bool = True, dtype=None,
                 input_shape=None, seed: int | None = None, **kwargs):
        KERAS_ONLY.pop(type(self).__name__, kwargs)
        refuse_unknown(type(self).__name__, kwargs)
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.dtype = _config.standardize_dtype(dtype)
        self.seed = seed
        self.rng = _random.make_rng(seed)
        # Keras accepts input_shape on the first layer of a Sequential model.
        self.input_shape_hint = tuple(input_shape) if input_shape is not None else None
        self.built = False
        self.input_shape: tuple | None = None
        self._weight_names: list[str] = []
        #: the calls on symbolic tensors (functional/symbolic.py), as Keras records them
        self._inbound_nodes: list = []

    # ---- weights -----------------------------------------------------------------------------
    def add_weight(self, name: str, shape: tuple, initializer) -> np.ndarray:
        """Create a weight from ``initializer`` and register it (order = Keras's order)."""
        value = np.ascontiguousarray(initializer(tuple(shape), self.dtype, self.rng))
        setattr(self, name, value)
        self._weight_names.append(name)
        return value

    @property
    def weight_names(self) -> list[str]:
        return list(self._weight_names)

    def params(self) -> list[np.ndarray]:
        """The live weight arrays, in Keras's order (optimizers update them in place)."""
        return [getattr(self, n) for n in self._weight_names]

    @property
    def weights(self) -> list[np.ndarray]:
        return self.params()

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, exactly Keras's ``layer.get_weights()`` list."""
        return [w.copy() for w in self.params()]

    def set_weights(self, weights) -> None:
        """Load a list of arrays in Keras's order; shapes must match exactly."""
        if not self.built:
            raise ValueError(f"layer {self.name!r} is not built yet; call it on data or build() first")
        own = self.params()
        if len(weights) != len(own):
            raise ValueError(
                f"layer {self.name!r} expects {len(own)} weight arrays "
                f"({', '.join(self._weight_names)}), got {len(weights)}"
            )
        for name, dst, src in zip(self._weight_names, own, weights):
            src = np.asarray(src)
            if src.shape != dst.shape:
                raise ValueError(
                    f"layer {self.name!r} weight {name!r} has shape {dst.shape}, got {src.shape}"
                )
            dst[...] = src

    def count_params(self) -> int:
        return int(sum(w.size for w in self.params()))

    # ---- shapes and calls ----------------------------------------------------------------------
    def build(self, input_shape: tuple) -> None:
        self.input_shape = tuple(input_shape)
        self.built = True

    def ensure_built(self, input_shape) -> None:
        """Build for ``input_shape`` (a list of shapes for a ``multi_input`` layer) unless
        built already."""
        if not self.built:
            self.build(input_shape if isinstance(input_shape, list) else tuple(input_shape))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def compute_mask(self, x, mask):
        """The mask the next layer sees; by default it passes through unchanged."""
        return mask

    def forward(self, x, training: bool = False, mask=None):
        """The output alone; writes nothing on the layer. By default ``forward_train``'s output,
        its cache dropped (layers whose cache costs real work override this)."""
        return self.forward_train(x, training=training, mask=mask)[0]

    def forward_train(self, x, training: bool = True, mask=None):
        """(output, cache): the output and what ``backward`` reads, as one object."""
        raise NotImplementedError

    def backward(self, dy, cache):
        """(dL/dx, [dL/dw per weight, in ``weight_names`` order]) for the pass that made
        ``cache``."""
        raise NotImplementedError

    def __call__(self, x, training: bool = False, mask=None):
        """On symbolic tensors (``Input``'s, another layer's): build from their shapes and
        return the output tensor(s) of a new graph node. On arrays: build on first use, then
        ``forward`` — handy outside a model. A layer with ``multi_input`` takes a list."""
        if is_symbolic(x):
            return call_symbolic(self, x)
        if getattr(self, "multi_input", False):
            self.ensure_built([(None,) + tuple(np.shape(a)[1:]) for a in x])
        else:
            self.ensure_built((None,) + tuple(np.shape(x)[1:]))
        return self.forward(x, training=training, mask=mask)

    # ---- config ----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    # ---- input checks ----------------------------------------------------------------------------
    def _float_input(self, x, rank: int | None = None, features: int | None = None) -> np.ndarray:
        """``x`` as an array of this layer's float dtype, with a clear error for a wrong shape."""
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(f"layer {self.name!r} expects numeric input, got dtype {x.dtype}")
        if rank is not None and x.ndim != rank:
            raise ValueError(
                f"layer {self.name!r} expects input of rank {rank} "
                f"{_rank_hint(rank)}, got shape {x.shape}"
            )
        if features is not None and x.shape[-1] != features:
            raise ValueError(
                f"layer {self.name!r} expects {features} features on the last axis, "
                f"got shape {x.shape}"
            )
        return x.astype(self.dtype, copy=False)


def _rank_hint(rank: int) -> str:
    return {2: "(batch, features)", 3: "(batch, time, features)"}.get(rank, "")
