"""Keras layout ↔ PyTorch layout: one mapping per layer kind, both ways.

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

#: where each PyTorch GRU block (r, z, n) sits among Keras's blocks (z, r, h) — its own inverse
GRU_TORCH_FROM_KERAS = (1, 0, 2)
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


# ---- Embedding ---------------------------------------------------------------------------------
def embedding_to_torch(weights: list[np.ndarray]) -> Arrays:
    return {"weight": weights[0] if not _is_numpy(weights[0]) else _copy(weights[0])}


def embedding_to_keras(tensors: Arrays) -> list[np.ndarray]:
    return [_copy(tensors["weight"])]


# ---- recurrent layers ------------------------------------------------------------------------------
def _recurrent_to_torch(weights, order) -> Arrays:
    """Shared by the kinds whose whole Keras bias is PyTorch's input bias."""
    kernel, recurrent = weights[0], weights[1]
    out = {"weight_ih_l0": _copy(_blocks(kernel, order).T),
           "weight_hh_l0": _copy(_blocks(recurrent, order).T)}
    if len(weights) > 2:
        out["bias_ih_l0"] = _copy(_blocks(weights[2], order))
        out[FROZEN_ZERO] = _zeros_like(weights[2])
    return out


def _recurrent_to_keras(tensors, order) -> list[np.ndarray]:
    out = [_copy(_blocks(tensors["weight_ih_l0"].T, order)),
           _copy(_blocks(tensors["weight_hh_l0"].T, order))]
    if "bias_ih_l0" in tensors:
        out.append(_copy(_blocks(tensors["bias_ih_l0"], order)))
    return out


def simple_rnn_to_torch(weights: list[np.ndarray]) -> Arrays:
    """[kernel, recurrent_kernel, bias?] → nn.RNN's parameters (bias_hh_l0 frozen at 0)."""
    return _recurrent_to_torch(weights, (0,))


def simple_rnn_to_keras(tensors: Arrays) -> list[np.ndarray]:
    return _recurrent_to_keras(tensors, (0,))


def lstm_to_torch(weights: list[np.ndarray]) -> Arrays:
    """[kernel, recurrent_kernel, bias?] → nn.LSTM's parameters; gate order i,f,c,o = i,f,g,o."""
    return _recurrent_to_torch(weights, (0, 1, 2, 3))


def lstm_to_keras(tensors: Arrays) -> list[np.ndarray]:
    return _recurrent_to_keras(tensors, (0, 1, 2, 3))


def gru_to_torch(weights: list[np.ndarray]) -> Arrays:
    """[kernel, recurrent_kernel, bias?] (z, r, h) → nn.GRU's parameters (r, z, n).

    A (2, 3u) bias is reset_after's: row 0 → bias_ih_l0, row 1 → bias_hh_l0 (both trained).
    A (3u,) bias is reset_after=False's: it becomes bias_ih_l0 and bias_hh_l0 stays a frozen 0.
    """
    order = GRU_TORCH_FROM_KERAS
    if len(weights) > 2 and weights[2].ndim == 2:
        out = _recurrent_to_torch(weights[:2], order)
        out["bias_ih_l0"] = _copy(_blocks(weights[2][0], order))
        out["bias_hh_l0"] = _copy(_blocks(weights[2][1], order))
        return out
    return _recurrent_to_torch(weights, order)


def gru_to_keras(tensors: Arrays, reset_after: bool) -> list[np.ndarray]:
    """The inverse of ``gru_to_torch``; ``reset_after`` says whether bias_hh_l0 is Keras's row 1."""
    order = GRU_TORCH_FROM_KERAS
    out = _recurrent_to_keras(tensors, order)
    if reset_after and "bias_ih_l0" in tensors:
        out[2] = _stack([out[2], _copy(_blocks(tensors["bias_hh_l0"], order))])
    return out
