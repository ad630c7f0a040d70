"""Bidirectional: two recurrent drivers, one reading forwards and one backwards, merged.

The two directions share nothing while they run (each has its own weights and dropout
generator), so they run side by side when ``rnnkit.parallel`` allows two threads; the results
are the same bits either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import parallel
from .base import Layer
from .merge import MERGES
from .recurrent import RNN, RNNCache

MERGE_MODES = tuple(MERGES)


@dataclass
class BidirectionalCache:
    """Both directions' caches and outputs (the backward one in time order; ``mul`` reads them)."""

    forward: RNNCache
    backward: RNNCache
    y_f: np.ndarray
    y_b: np.ndarray


def _copy_layer(layer: RNN, **changes) -> RNN:
    """A fresh layer of the same kind from ``layer``'s config with ``changes`` applied."""
    return type(layer).from_config({**layer.get_config(), **changes})


class Bidirectional(Layer):
    """Runs ``layer`` forwards and a copy of it with ``go_backwards=True``, then merges them.

    With ``return_sequences`` the backward outputs are flipped back into time order before the
    merge, and both directions output zeros at masked steps (Keras's ``zero_output_for_mask``).
    Weights: the forward layer's, then the backward layer's.
    """

    def __init__(self, layer: RNN, merge_mode="concat", backward_layer: RNN | None = None,
                 **kwargs):
        if not isinstance(layer, RNN):
            raise TypeError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU or "
                            f"RNN(cell)), got {layer!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"unknown merge_mode {merge_mode!r}; expected one of "
                             f"'concat', 'sum', 'mul', 'ave' or None")
        kwargs.setdefault("dtype", layer.dtype)
        super().__init__(**kwargs)
        self.merge_mode = merge_mode
        # Keras's names: a layer read from a config is already named forward_…, and is not
        # renamed forward_forward_…
        self.forward_layer = _copy_layer(
            layer, name=f"forward_{layer.name.removeprefix('forward_')}")
        self.backward_layer = backward_layer or _copy_layer(
            layer, name=f"backward_{layer.name.removeprefix('backward_')}", go_backwards=True)
        if self.backward_layer.return_sequences != self.forward_layer.return_sequences:
            raise ValueError("Bidirectional: forward and backward layers must agree on "
                             "return_sequences")
        for direction in (self.forward_layer, self.backward_layer):
            direction.zero_output_for_mask = direction.return_sequences
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state

    # ---- weights -------------------------------------------------------------------------------
    def build(self, input_shape):
        self.forward_layer.ensure_built(input_shape)
        self.backward_layer.ensure_built(input_shape)
        self._weight_names = ([f"forward/{n}" for n in self.forward_layer.weight_names]
                              + [f"backward/{n}" for n in self.backward_layer.weight_names])
        super().build(input_shape)

    def params(self):
        return self.forward_layer.params() + self.backward_layer.params()

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = out[0], out[1:] * 2
        if self.merge_mode == "concat":
            out = out[:-1] + (2 * out[-1],)
        elif self.merge_mode is None:
            out = [out, out]
        return [out, *states] if states else out

    def compute_mask(self, x, mask):
        return mask if self.return_sequences else None

    # ---- forward and backward --------------------------------------------------------------------
    def _work(self, x) -> float | None:
        """Multiply-adds in one direction's products (``parallel.run`` weighs the thread)."""
        kernel = getattr(self.forward_layer.cell, "kernel", None)
        if np.ndim(x) != 3 or kernel is None:
            return None                        # not built, or a shape the layers will refuse
        batch, time, features = np.shape(x)
        return batch * time * (features + self.forward_layer.units) * kernel.shape[1]

    def _both(self, method, x, **kwargs):
        """``method`` of the forward and the backward layer, side by side where it pays."""
        return parallel.run([lambda: getattr(self.forward_layer, method)(x, **kwargs),
                             lambda: getattr(self.backward_layer, method)(x, **kwargs)],
                            work=self._work(x))

    def forward(self, x, training=False, mask=None):
        y_f, y_b = self._both("forward", x, training=training, mask=mask)
        return self._combine(y_f, y_b)[0]

    def forward_train(self, x, training=True, mask=None, reference=False):
        """``reference``: both directions run their reference loop (``RNN.forward_train``)."""
        (y_f, cache_f), (y_b, cache_b) = self._both("forward_train", x, training=training,
                                                    mask=mask, reference=reference)
        out, y_f, y_b = self._combine(y_f, y_b)
        return out, BidirectionalCache(cache_f, cache_b, y_f, y_b)

    def _combine(self, y_f, y_b):
        """(the layer's output, y_f, y_b in time order) from the two directions' outputs."""
        states = []
        if self.return_state:
            (y_f, *s_f), (y_b, *s_b) = y_f, y_b
            states = s_f + s_b
        if self.return_sequences:
            y_b = y_b[:, ::-1]                         # back into time order
        merged = self._merge(y_f, y_b)
        return ([merged, *states] if self.return_state else merged), y_f, y_b

    def _merge(self, y_f, y_b):
        return MERGES[self.merge_mode].forward([y_f, y_b], _concat)

    def _unmerge(self, d, cache: BidirectionalCache):
        """dL/dy_f and dL/dy_b from dL/d(merged output)."""
        return MERGES[self.merge_mode].backward(d, [cache.y_f, cache.y_b])

    def direction_grads(self, dy, cache: BidirectionalCache):
        """(dL/d(forward layer's outputs), dL/d(backward layer's outputs)) from dL/d(this
        layer's outputs), each as that layer's ``backward`` takes it (the backward layer's
        sequence in its own, reversed, order)."""
        d_states = []
        if self.return_state:
            dy, d_states = dy[0], list(dy[1:])
        d_f, d_b = self._unmerge(dy, cache)
        if self.return_sequences:
            d_b = d_b[:, ::-1]
        n = len(d_states) // 2
        if self.return_state:
            d_f, d_b = [d_f, *d_states[:n]], [d_b, *d_states[n:]]
        return d_f, d_b

    def backward(self, dy, cache: BidirectionalCache):
        d_f, d_b = self.direction_grads(dy, cache)
        (dx_f, grads_f), (dx_b, grads_b) = parallel.run(
            [lambda: self.forward_layer.backward(d_f, cache.forward),
             lambda: self.backward_layer.backward(d_b, cache.backward)],
            work=self._work(cache.forward.x_in))
        return dx_f + dx_b, grads_f + grads_b

    # ---- config ----------------------------------------------------------------------------------
    def get_config(self):
        """Keras's form: both directions as they are, ``layer`` being the forward one (named
        ``forward_…``) and ``backward_layer`` the backward one, derived or given. Configs
        written before rnnkit wrote Keras's form named ``layer`` without the prefix and left
        out a derived backward layer; ``from_config`` reads both forms."""
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": _serialize(self.forward_layer),
                "backward_layer": _serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = _deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        return cls(layer, backward_layer=_deserialize(backward) if backward else None, **config)


def _concat(parts):
    return np.concatenate(parts, axis=-1)


def _recurrent_classes(base=RNN) -> dict[str, type]:
    """RNN and every subclass of it defined so far, by class name."""
    found = {base.__name__: base}
    for sub in base.__subclasses__():
        found |= _recurrent_classes(sub)
    return found


def _serialize(layer: RNN) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _deserialize(spec: dict) -> RNN:
    name = spec.get("class_name")
    classes = _recurrent_classes()
    if name not in classes:
        raise ValueError(f"Bidirectional wraps a recurrent layer ({', '.join(classes)}), "
                         f"got {name!r}")
    return classes[name].from_config(spec["config"])
