"""Input, Dense, Embedding and Dropout, with hand-written backward passes.

Each ``forward_train`` returns its output and a small cache dataclass (``DenseCache``,
``EmbeddingCache``, ``DropoutCache``); ``backward(dy, cache)`` returns (dL/dx, weight gradients).
``forward`` (the base class's) keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations, kernels
from .. import initializers as inits
from .. import config as _config
from ..functional.symbolic import KerasTensor, make_input_tensor
from ..keras_options import KerasOptions
from .base import Layer, check_fraction, check_positive_int

# keras.Input's options for what rnnkit lacks (sparse or optional inputs, wrapping a tensor)
INPUT_KERAS_ONLY = KerasOptions(defaults={"sparse": False, "tensor": None, "optional": False},
                                none_is_off=True)


class InputLayer(Layer):
    """Declares the shape of one sample (without the batch axis), as ``keras.Input`` does."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        if shape is None:
            raise ValueError("Input needs a shape, e.g. Input(shape=(100,)) for 100 token ids")
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if any(d is not None and (not isinstance(d, (int, np.integer)) or d <= 0) for d in shape):
            raise ValueError(f"Input shape must hold positive integers or None, got {shape}")
        self.input_dtype = _input_dtype(dtype)
        super().__init__(name=name, **kwargs)
        self.shape = shape
        self.batch_size = batch_size
        self.build((batch_size,) + shape)
        #: the symbolic tensor this layer feeds a graph with (what ``Input`` returns)
        self.output = make_input_tensor(self)

    @property
    def output_dtype(self) -> str:
        """The dtype of the tensor fed in: Keras's default float32 when none was given."""
        return self.input_dtype or _config.floatx()

    def forward_train(self, x, training=True, mask=None):
        return x, None

    def backward(self, dy, cache=None):
        return dy, []

    def get_config(self):
        return {"batch_shape": (self.batch_size,) + self.shape, "dtype": self.input_dtype,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        batch_shape = config.pop("batch_shape", None)
        if batch_shape is not None:
            config["shape"], config["batch_size"] = tuple(batch_shape[1:]), batch_shape[0]
        config.pop("sparse", None), config.pop("ragged", None)
        return cls(**config)


def _input_dtype(dtype) -> str | None:
    """A NumPy dtype name, or Keras's ``"string"`` for raw text (``Input(shape=(), dtype="string")``
    before a TextVectorization layer)."""
    if dtype is None:
        return None
    if dtype in ("string", str, np.str_):
        return "string"
    return np.dtype(dtype).name


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False) -> KerasTensor:
    """``keras.Input``: a symbolic tensor for one sample of ``shape`` (without the batch axis),
    e.g. ``Input(shape=(100,))``. Call layers on it and hand both ends to
    ``Model(inputs, outputs)``, or ``add`` it first to a Sequential model."""
    INPUT_KERAS_ONLY.check_all("Input", sparse=sparse, tensor=tensor, optional=optional)
    if batch_shape is not None:
        if shape is not None:
            raise ValueError("Input takes shape or batch_shape, not both")
        shape, batch_size = tuple(batch_shape[1:]), batch_shape[0]
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


@dataclass
class DenseCache:
    """What Dense's backward reads: the input, the logits z = x·W + b and y = activation(z)."""

    x: np.ndarray
    logits: np.ndarray     # a fused loss's gradient enters here (``backward_logits``)
    y: np.ndarray


@dataclass
class EmbeddingCache:
    ids: np.ndarray        # the looked-up ids (intp), whose rows receive the gradient


@dataclass
class DropoutCache:
    scale: np.ndarray | None   # kept/(1 − rate) per element; None when dropout was off


class Dense(Layer):
    """y = activation(x·W + b) on the last axis; W (in, units), b (units,)."""

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.activation = activations.normalize(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = inits.get(kernel_initializer)
        self.bias_initializer = inits.get(bias_initializer)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"layer {self.name!r} needs a known last dimension, got {input_shape}")
        self.add_weight("kernel", (in_dim, self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x, features=self.kernel.shape[0])
        z = x @ self.kernel
        if self.use_bias:
            z += self.bias
        y = activations.apply(self.activation, z)
        return y, DenseCache(x, z, y)

    def backward(self, dy, cache: DenseCache):
        """(dL/dx, [dW, db]) from dL/dy: through the activation, then ``backward_logits``."""
        return self.backward_logits(activations.apply_backward(self.activation, cache.y, dy),
                                    cache)

    def backward_logits(self, dz, cache: DenseCache):
        """(dL/dx, [dW, db]) from dL/dz, z = x·W + b (``cache.logits``): dW = xᵀdz, db = Σ dz,
        dx = dz·Wᵀ. A fused loss enters here with p − y (numpy_engine.py)."""
        x = cache.x
        x2, dz2 = x.reshape(-1, x.shape[-1]), dz.reshape(-1, dz.shape[-1])
        grads = [x2.T @ dz2] + ([dz2.sum(axis=0)] if self.use_bias else [])
        return dz @ self.kernel.T, grads

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": inits.serialize(self.kernel_initializer),
                "bias_initializer": inits.serialize(self.bias_initializer)}


class Embedding(Layer):
    """Looks up one row of E (input_dim, output_dim) per id; id 0 is masked if ``mask_zero``."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform",
                 mask_zero: bool = False, input_length: int | None = None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs:
            # Keras 2's input_length (ignored by Keras 3) still tells us the sequence length.
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int("input_dim", input_dim)
        self.output_dim = check_positive_int("output_dim", output_dim)
        self.embeddings_initializer = inits.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)

    def build(self, input_shape):
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        self.embeddings_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def compute_mask(self, x, mask):
        return np.asarray(x) != 0 if self.mask_zero else None

    def forward_train(self, x, training=True, mask=None):
        ids = self.check_ids(x)
        return self.embeddings[ids], EmbeddingCache(ids)

    def check_ids(self, x) -> np.ndarray:
        """Token ids as an int array, or a one-line error saying what is wrong with them."""
        x = np.asarray(x)
        if x.dtype.kind == "f":
            if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
                raise TypeError(
                    f"layer {self.name!r} expects integer token ids, got non-integer values "
                    f"(dtype {x.dtype}); pass the output of texts_to_sequences/pad_sequences"
                )
        elif x.dtype.kind not in "iub":
            raise TypeError(f"layer {self.name!r} expects integer token ids, got dtype {x.dtype}")
        ids = x.astype(np.intp, copy=False)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            raise ValueError(
                f"layer {self.name!r} got token ids in [{ids.min()}, {ids.max()}] but "
                f"input_dim={self.input_dim} allows [0, {self.input_dim - 1}]; raise input_dim "
                f"or encode with num_words={self.input_dim}"
            )
        return ids

    def backward(self, dy, cache: EmbeddingCache):
        """(None, [dE]): dE[k] = Σ of dy over every position that looked up id k; ids get no
        gradient."""
        ids = cache.ids.ravel()
        d_rows = dy.reshape(-1, self.output_dim)
        grad = np.zeros_like(self.embeddings)
        if kernels.enabled():
            from ..kernels.embedding import scatter_add
            scatter_add(ids, np.ascontiguousarray(d_rows, grad.dtype), grad)
        else:
            # Sort by id, then add each run of equal ids in one call (np.add.at does the same
            # one row at a time, ~20× slower).
            order = np.argsort(ids, kind="stable")
            sorted_ids = ids[order]
            starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
            grad[sorted_ids[starts]] = np.add.reduceat(d_rows[order], starts, axis=0)
        return None, [grad]

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim, "mask_zero": self.mask_zero,
                "embeddings_initializer": inits.serialize(self.embeddings_initializer)}


class Dropout(Layer):
    """Inverted dropout: in training, zero a fraction ``rate`` and scale the rest by 1/(1−rate)."""

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_fraction("rate", rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x)
        if not training or self.rate == 0.0:
            return x, DropoutCache(None)
        shape = x.shape if self.noise_shape is None else tuple(
            s if n is None else n for s, n in zip(x.shape, self.noise_shape))
        keep = self.rng.random(shape) >= self.rate
        scale = keep.astype(self.dtype) / (1.0 - self.rate)
        return x * scale, DropoutCache(scale)

    def backward(self, dy, cache: DropoutCache):
        return (dy if cache.scale is None else dy * cache.scale), []

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}
