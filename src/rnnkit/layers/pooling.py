"""Pooling over time: GlobalMaxPooling1D, GlobalAveragePooling1D and MaxPooling1D.

Inputs are (batch, time, channels) (Keras's ``channels_last``). Masks follow Keras 3:

* ``GlobalAveragePooling1D`` reads the mask — the mean runs over real steps only — and ends it;
* ``GlobalMaxPooling1D`` and ``MaxPooling1D`` do not support masking in Keras: the maximum runs
  over every step, padding included, and the mask ends there (Keras warns that it is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..keras_options import KerasOptions
from . import windows
from .base import Layer

# Keras's data_format, which rnnkit has only as channels_last (time on axis 1).
CHANNELS_LAST = KerasOptions(defaults={"data_format": "channels_last"}, none_is_off=True)


@dataclass
class GlobalMaxCache:
    """Which step held each (sample, channel)'s maximum, and the input's time length."""

    argmax: np.ndarray     # (B, C) step indices
    steps: int


@dataclass
class GlobalAverageCache:
    """The weights each step got in the mean: m_t / Σ m (1/T without a mask), (B, T, 1)."""

    weights: np.ndarray


@dataclass
class MaxPoolCache:
    """Where each output's maximum came from: input step indices (B, L_out, C)."""

    source: np.ndarray
    input_shape: tuple


class _GlobalPooling1D(Layer):
    """(B, T, C) → (B, C), or (B, 1, C) with ``keepdims``; the mask ends here."""

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        CHANNELS_LAST.check(type(self).__name__, "data_format", data_format)
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        steps = (1,) if self.keepdims else ()
        return (input_shape[0],) + steps + (input_shape[-1],)

    def compute_mask(self, x, mask):
        return None

    def _keep(self, y):
        return y[:, None, :] if self.keepdims else y

    def _drop(self, dy):
        return dy[:, 0, :] if self.keepdims else dy

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last",
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling1D):
    """y_c = max_t x_tc over every step; Keras ignores the mask here, and so does this layer."""

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x, rank=3)
        argmax = x.argmax(axis=1)                                  # (B, C)
        y = np.take_along_axis(x, argmax[:, None, :], axis=1)[:, 0, :]
        return self._keep(y), GlobalMaxCache(argmax, x.shape[1])

    def backward(self, dy, cache: GlobalMaxCache):
        """dL/dx_tc = dy_c where t = argmax_t x_tc, else 0: the maximum's step takes it all."""
        dy = self._drop(dy)
        dx = np.zeros((dy.shape[0], cache.steps, dy.shape[1]), dy.dtype)
        np.put_along_axis(dx, cache.argmax[:, None, :], dy[:, None, :], axis=1)
        return dx, []


class GlobalAveragePooling1D(_GlobalPooling1D):
    """y_c = Σ_t m_t x_tc / Σ_t m_t with the mask m (all ones without one), as Keras."""

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x, rank=3)
        if mask is None:
            weights = np.full((1, x.shape[1], 1), 1.0 / x.shape[1], x.dtype)
        else:
            m = np.asarray(mask, x.dtype)[:, :, None]              # (B, T, 1)
            with np.errstate(invalid="ignore", divide="ignore"):   # an all-padding row: 0/0
                weights = m / m.sum(axis=1, keepdims=True)          # = NaN, as Keras gives
        # Σ_t w_t x_tc, the masked steps zeroed first as Keras does (so a NaN there cannot leak)
        y = (np.where(weights > 0, x, 0) * weights).sum(axis=1)
        return self._keep(y), GlobalAverageCache(weights)

    def backward(self, dy, cache: GlobalAverageCache):
        """dL/dx_tc = w_t · dy_c, w_t = m_t / Σ m: padded steps get nothing."""
        return cache.weights * self._drop(dy)[:, None, :], []


class MaxPooling1D(Layer):
    """y_oc = max_j x_(o·s + j − left), c over a window of ``pool_size`` steps; no mask."""

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None,
                 **kwargs):
        CHANNELS_LAST.check("MaxPooling1D", "data_format", data_format)
        super().__init__(**kwargs)
        self.pool_size = windows.single_size("pool_size", pool_size)
        self.strides = self.pool_size if strides is None else \
            windows.single_size("strides", strides)
        self.padding = windows.check_padding("MaxPooling1D", padding, ("valid", "same"))

    def compute_output_shape(self, input_shape):
        steps = windows.output_length(input_shape[1], self.pool_size, self.strides, self.padding)
        if steps is not None and steps <= 0:
            raise ValueError(f"layer {self.name!r}: pool_size={self.pool_size} is longer than "
                             f"the {input_shape[1]} input steps; use padding='same' or a "
                             f"smaller pool_size")
        return (input_shape[0], steps, input_shape[2])

    def compute_mask(self, x, mask):
        return None

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x, rank=3)
        length = x.shape[1]
        left, right = windows.pads(length, self.pool_size, self.strides, self.padding)
        # pad with −∞: a padded step never wins a window (Keras pads "same" the same way in effect)
        padded = np.pad(x, ((0, 0), (left, right), (0, 0)), constant_values=-np.inf)
        out = windows.output_length(length, self.pool_size, self.strides, self.padding)
        taps = windows.tap_positions(out, self.pool_size, self.strides)     # (L_out, pool)
        window = padded[:, taps, :]                                         # (B, L_out, pool, C)
        best = window.argmax(axis=2)                                        # (B, L_out, C)
        y = np.take_along_axis(window, best[:, :, None, :], axis=2)[:, :, 0, :]
        source = taps[np.arange(out)[None, :, None], best] - left          # unpadded steps
        return y, MaxPoolCache(source, x.shape)

    def backward(self, dy, cache: MaxPoolCache):
        """dL/dx_tc = Σ dy_oc over the windows o whose maximum was x_tc (windows overlap when
        strides < pool_size, so one step may collect several)."""
        dx = np.zeros(cache.input_shape, dy.dtype)
        b, _, c = np.indices(cache.source.shape, sparse=True)
        np.add.at(dx, (b, cache.source, c), dy)
        return dx, []

    def get_config(self):
        return {**super().get_config(), "pool_size": (self.pool_size,), "padding": self.padding,
                "strides": (self.strides,), "data_format": "channels_last"}

