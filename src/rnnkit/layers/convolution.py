"""Conv1D: a 1-D convolution over time (Keras 3's cross-correlation), hand-written both ways.

With the input padded by (left, right) (layers/windows.py: valid, same or causal), kernel
W (size, C_in, F), stride s and dilation d:

    z[b, o, f] = Σ_j Σ_c x̃[b, o·s + j·d, c] · W[j, c, f] + bias[f],     y = activation(z)

Laying the taps of every output step side by side gives the window matrix
X̂[(b, o), (j, c)] = x̃[b, o·s + j·d, c] (B·L_out rows, size·C_in columns), and the whole sum is one
matrix product with the kernel flattened to Ŵ (size·C_in, F):

    Z = X̂ · Ŵ + bias

(one large product runs at BLAS speed; a product per tap on strided views of x̃ ran ~10× slower).
The backward pass is the same product transposed:

    dŴ = X̂ᵀ · dZ          dbias = Σ_rows dZ          dX̂ = dZ · Ŵᵀ
    dx̃[:, o·s + j·d] += dX̂[(·, o), (j, ·)] for each tap j;    dx = dx̃ without its padding

X̂ is rebuilt from x̃ in backward rather than cached: it is ``size`` times larger than x̃.

Keras's Conv1D does not support masking: a mask ends here (Keras warns that it is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import activations
from .. import initializers as inits
from ..keras_options import KerasOptions
from . import windows
from .base import Layer, check_positive_int

# Keras options rnnkit has only at these values (grouped convolution, channels_first).
CONV_KERAS_ONLY = KerasOptions(defaults={"data_format": "channels_last", "groups": 1},
                               none_is_off=True)


@dataclass
class Conv1DCache:
    padded: np.ndarray     # x̃: the input with its padding (B, left + L + right, C_in)
    left: int              # padding before the first step (dx drops it again)
    length: int            # L, the unpadded input steps
    y: np.ndarray          # activation(z): the activation's derivative is read from it


class Conv1D(Layer):
    """``Conv1D(filters, kernel_size, strides=1, padding="valid", dilation_rate=1, …)``: weights
    [kernel (kernel_size, C_in, filters), bias (filters,)], Keras's layout."""

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 data_format=None, dilation_rate=1, groups: int = 1, activation=None,
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        CONV_KERAS_ONLY.check_all("Conv1D", data_format=data_format, groups=groups)
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = windows.single_size("kernel_size", kernel_size)
        self.strides = windows.single_size("strides", strides)
        self.dilation_rate = windows.single_size("dilation_rate", dilation_rate)
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(f"Conv1D: strides={self.strides} with dilation_rate="
                             f"{self.dilation_rate}; Keras allows only one of them above 1")
        self.padding = windows.check_padding("Conv1D", padding)
        self.activation = activations.normalize(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = inits.get(kernel_initializer)
        self.bias_initializer = inits.get(bias_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        if len(input_shape) != 3 or channels is None:
            raise ValueError(f"layer {self.name!r} expects (batch, time, channels) with known "
                             f"channels, got {input_shape}")
        self.compute_output_shape(input_shape)          # a window longer than the input: error
        self.add_weight("kernel", (self.kernel_size, channels, self.filters),
                        self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)
        super().build(input_shape)

    def _window(self) -> tuple[int, int, int]:
        return self.kernel_size, self.strides, self.dilation_rate

    def compute_output_shape(self, input_shape):
        size, stride, dilation = self._window()
        steps = windows.output_length(input_shape[1], size, stride, self.padding, dilation)
        if steps is not None and steps <= 0:
            raise ValueError(f"layer {self.name!r}: a window of {windows.span(size, dilation)} "
                             f"steps does not fit the {input_shape[1]} input steps; use "
                             f"padding='same' or a smaller kernel_size")
        return (input_shape[0], steps, self.filters)

    def compute_mask(self, x, mask):
        return None

    def pads(self, length: int) -> tuple[int, int]:
        """(left, right) padding for ``length`` input steps (both engines use this)."""
        size, stride, dilation = self._window()
        return windows.pads(length, size, stride, self.padding, dilation)

    def _tap(self, padded, j: int, out: int):
        """x̃[:, o·s + j·d] for o = 0 … out − 1: the steps tap j reads, (B, out, C)."""
        start = j * self.dilation_rate
        return padded[:, start:start + (out - 1) * self.strides + 1:self.strides]

    def _windows(self, padded, out: int) -> np.ndarray:
        """X̂: (B·out, size·C) rows of the taps each output step reads, tap by tap."""
        taps = np.stack([self._tap(padded, j, out) for j in range(self.kernel_size)], axis=2)
        return taps.reshape(-1, self.kernel_size * padded.shape[-1])

    def _flat_kernel(self) -> np.ndarray:
        """Ŵ: the kernel (size, C, F) as (size·C, F), row j·C + c, matching X̂'s columns."""
        return self.kernel.reshape(-1, self.filters)

    def forward_train(self, x, training=True, mask=None):
        x = self._float_input(x, rank=3, features=self.kernel.shape[1])
        left, right = self.pads(x.shape[1])
        padded = np.pad(x, ((0, 0), (left, right), (0, 0)))        # zeros, as Keras pads
        out = self.compute_output_shape(x.shape)[1]
        z = self._windows(padded, out) @ self._flat_kernel()        # Z = X̂·Ŵ
        if self.use_bias:
            z += self.bias
        y = activations.apply(self.activation, z.reshape(x.shape[0], out, self.filters))
        return y, Conv1DCache(padded, left, x.shape[1], y)

    def backward(self, dy, cache: Conv1DCache):
        """(dL/dx, [dW, dbias]) by the window-matrix equations of the module docstring."""
        dz = activations.apply_backward(self.activation, cache.y, dy)
        batch, out = dz.shape[:2]
        dz2 = dz.reshape(-1, self.filters)
        d_kernel = (self._windows(cache.padded, out).T @ dz2).reshape(self.kernel.shape)  # X̂ᵀ·dZ
        d_windows = (dz2 @ self._flat_kernel().T).reshape(batch, out, self.kernel_size, -1)
        d_padded = np.zeros_like(cache.padded)
        for j in range(self.kernel_size):                            # dX̂ back onto x̃'s steps
            self._tap(d_padded, j, out)[...] += d_windows[:, :, j]
        dx = d_padded[:, cache.left:cache.left + cache.length]
        return dx, [d_kernel] + ([dz2.sum(axis=0)] if self.use_bias else [])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": (self.kernel_size,), "strides": (self.strides,),
                "padding": self.padding, "data_format": "channels_last",
                "dilation_rate": (self.dilation_rate,), "groups": 1,
                "activation": self.activation, "use_bias": self.use_bias,
                "kernel_initializer": inits.serialize(self.kernel_initializer),
                "bias_initializer": inits.serialize(self.bias_initializer)}
