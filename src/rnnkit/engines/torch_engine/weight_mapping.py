"""Keras layout ↔ PyTorch layout, both ways: Dense, Embedding, Conv1D, and one mapping for every
recurrent cell with a fused module, driven by the cell's gate order (``FusedKernel``).

Every function takes NumPy arrays or torch tensors. The torch engine keeps its trainable
parameters in Keras's layout (so optimizers, clipping and saved files see Keras's weights) and
maps them to PyTorch's layout with these functions inside every forward pass: torch ops, so
autograd carries the gradients back to Keras's layout. The same functions, on NumPy arrays,
convert weights for hand-written ``nn.RNN/LSTM/GRU`` modules and back (``*_to_keras``).

=============  ==========================================  ==========================================
kind           Keras (``layer.get_weights()`` order)        PyTorch (``nn.*`` parameter names)
=============  ==========================================  ==========================================
Dense          kernel (in, out), bias (out,)                weight (out, in) = kernelᵀ, bias
Embedding      embeddings (vocab, dim)                      weight (vocab, dim)
Conv1D         kernel (size, in, out), bias (out,)          conv1d weight (out, in, size), bias
SimpleRNN      kernel (in, u), recurrent (u, u), bias (u,)  weight_ih_l0 = kernelᵀ, weight_hh_l0 =
                                                            recurrentᵀ, bias_ih_l0 = bias,
                                                            bias_hh_l0 = 0 (frozen)
LSTM           gates i, f, c, o                             gates i, f, g, o: same blocks, transposed;
                                                            bias_hh_l0 = 0 (frozen)
GRU            gates z, r, h; bias (2, 3u) if reset_after   gates r, z, n: blocks reordered, then
                                                            transposed; bias[0] → bias_ih_l0,
                                                            bias[1] → bias_hh_l0 (reset_after=False:
                                                            bias → bias_ih_l0, bias_hh_l0 = 0 frozen)
=============  ==========================================  ==========================================

The frozen zero ``bias_hh_l0`` is why parameter counts stay Keras's: it is never trained and
never counted. Getting GRU's block order wrong is the classic conversion bug (keras#8720).
"""

from __future__ import annotations

import numpy as np

from ...layers.cells import GRU_TORCH_FROM_KERAS

#: the recurrent biases that Keras does not have; PyTorch's modules hold them at zero
FROZEN_ZERO = "bias_hh_l0"

Arrays = dict  # name → np.ndarray or torch.Tensor


def _is_numpy(a) -> bool:
    return isinstance(a, np.ndarray)


def _blocks(a, order: tuple[int, ...], axis: int = -1):
    """``a`` with its equal blocks along ``axis`` rearranged into ``order`` (a view if unchanged)."""
    if tuple(order) == tuple(range(len(order))):
        return a
    if _is_numpy(a):
        parts = np.split(a, len(order), axis=axis)
        return np.concatenate([parts[i] for i in order], axis=axis)
    parts = a.chunk(len(order), dim=axis)
    return _torch_cat([parts[i] for i in order], axis)


def _torch_cat(parts, axis):
    import torch  # only ever reached with torch tensors, so torch is installed
    return torch.cat(parts, dim=axis)


def _copy(a):
    """A contiguous array that owns its data (NumPy) or a contiguous tensor (torch, in-graph)."""
    return np.ascontiguousarray(a).copy() if _is_numpy(a) else a.contiguous()


def _zeros_like(a):
    return np.zeros_like(a) if _is_numpy(a) else a.new_zeros(a.shape)


def _stack(parts):
    if _is_numpy(parts[0]):
        return np.stack(parts)
    import torch
    return torch.stack(parts)


# ---- Dense ------------------------------------------------------------------------------------
def dense_to_torch(weights: list[np.ndarray]) -> Arrays:
    """[kernel (in, out), bias?] → nn.Linear's {weight (out, in), bias?}."""
    out = {"weight": weights[0].T if not _is_numpy(weights[0]) else _copy(weights[0].T)}
    if len(weights) > 1:
        out["bias"] = _copy(weights[1])
    return out


def dense_to_keras(tensors: Arrays) -> list[np.ndarray]:
    return [_copy(tensors["weight"].T)] + ([_copy(tensors["bias"])] if "bias" in tensors else [])


# ---- Conv1D ------------------------------------------------------------------------------------
def conv1d_to_torch(weights: list) -> Arrays:
    """[kernel (size, in, out), bias?] → conv1d's {weight (out, in, size), bias?}."""
    kernel = weights[0]
    out = {"weight": _copy(kernel.transpose(2, 1, 0)) if _is_numpy(kernel)
           else kernel.permute(2, 1, 0)}
    if len(weights) > 1:
        out["bias"] = _copy(weights[1])
    return out


# ---- Embedding ---------------------------------------------------------------------------------
def embedding_to_torch(weights: list[np.ndarray]) -> Arrays:
    return {"weight": weights[0] if not _is_numpy(weights[0]) else _copy(weights[0])}


def embedding_to_keras(tensors: Arrays) -> list[np.ndarray]:
    return [_copy(tensors["weight"])]


# ---- recurrent layers ------------------------------------------------------------------------------
def recurrent_to_torch(weights: list, gate_order: tuple[int, ...]) -> Arrays:
    """[kernel, recurrent_kernel, bias?] → nn.RNN/LSTM/GRU's parameters, blocks in ``gate_order``
    (a cell's ``fused_kernel().gate_order``).

    A (k·u,) bias becomes bias_ih_l0 and bias_hh_l0 stays a frozen 0. A (2, k·u) bias is GRU
    reset_after's: row 0 → bias_ih_l0, row 1 → bias_hh_l0 (both trained).
    """
    kernel, recurrent = weights[0], weights[1]
    out = {"weight_ih_l0": _copy(_blocks(kernel, gate_order).T),
           "weight_hh_l0": _copy(_blocks(recurrent, gate_order).T)}
    if len(weights) > 2:
        bias = weights[2]
        two_rows = bias.ndim == 2
        out["bias_ih_l0"] = _copy(_blocks(bias[0] if two_rows else bias, gate_order))
        out[FROZEN_ZERO] = _copy(_blocks(bias[1], gate_order)) if two_rows else \
            _zeros_like(bias)
    return out


def recurrent_to_keras(tensors: Arrays, gate_order: tuple[int, ...],
                       two_row_bias: bool = False) -> list[np.ndarray]:
    """The inverse of ``recurrent_to_torch`` (every order used here is its own inverse);
    ``two_row_bias``: bias_hh_l0 is Keras's bias row 1 (GRU reset_after)."""
    out = [_copy(_blocks(tensors["weight_ih_l0"].T, gate_order)),
           _copy(_blocks(tensors["weight_hh_l0"].T, gate_order))]
    if "bias_ih_l0" in tensors:
        out.append(_copy(_blocks(tensors["bias_ih_l0"], gate_order)))
        if two_row_bias:
            out[2] = _stack([out[2], _copy(_blocks(tensors["bias_hh_l0"], gate_order))])
    return out


# The three kinds, for weights of hand-written nn.RNN/LSTM/GRU modules (benchmarks, tests).
def simple_rnn_to_torch(weights):
    return recurrent_to_torch(weights, (0,))


def simple_rnn_to_keras(tensors):
    return recurrent_to_keras(tensors, (0,))


def lstm_to_torch(weights):
    """Gate order i, f, c, o = PyTorch's i, f, g, o."""
    return recurrent_to_torch(weights, (0, 1, 2, 3))


def lstm_to_keras(tensors):
    return recurrent_to_keras(tensors, (0, 1, 2, 3))


def gru_to_torch(weights):
    """Keras z, r, h → PyTorch r, z, n."""
    return recurrent_to_torch(weights, GRU_TORCH_FROM_KERAS)


def gru_to_keras(tensors, reset_after: bool):
    return recurrent_to_keras(tensors, GRU_TORCH_FROM_KERAS, two_row_bias=reset_after)
