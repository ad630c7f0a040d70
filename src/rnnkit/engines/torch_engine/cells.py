"""One time step of each recurrent cell in torch ops, in PyTorch's gate order.

The scripted step loop (recurrent.py) uses these when cuDNN's fused kernels cannot express the
layer: recurrent dropout, GRU ``reset_after=False``, activations other than tanh/sigmoid. They
read the same PyTorch-layout parameters as ``nn.RNN/LSTM/GRU`` (weight_hh (k·u, u), bias_hh), so
one set of weights serves both paths. ``masks`` are recurrent-dropout masks (k, batch, u), one
per gate block in PyTorch's order.

    SimpleRNN  h' = f(xw + h·Uᵀ + b_hh)
    LSTM       [i f g o] = xw + h·Uᵀ + b_hh;  c' = σ(f)c + σ(i)f(g);  h' = σ(o)f(c')
    GRU        [r z n];  reset_after: n = f(xw_n + r⊙(h·U_nᵀ + b_hh,n)),
               else n = f(xw_n + (r⊙h)·U_nᵀ);   h' = z⊙h + (1 − z)⊙n
"""

from __future__ import annotations

from .activations import get as activation
from .torch_import import import_torch

torch = import_torch()


def recurrent_matmul(h, w_hh, masks):
    """h·w_hhᵀ (batch, k·u); with ``masks`` (k, batch, u) every block sees its own masked h."""
    if masks is None:
        return h @ w_hh.T
    k, u = masks.shape[0], h.shape[-1]
    h_in = h.unsqueeze(0) * masks                                   # (k, batch, u)
    blocks = torch.einsum("kbi,koi->bko", h_in, w_hh.view(k, -1, u))  # (batch, k, u_out)
    return blocks.reshape(h.shape[0], -1)


class Step:
    """Base: the cell's activations and state count; ``__call__`` advances one step."""

    n_states = 1

    def __init__(self, cell):
        self.act = activation(cell.activation.name)
        self.rec_act = activation(cell.recurrent_activation.name)

    def _rec(self, h, w_hh, b_hh, masks):
        rec = recurrent_matmul(h, w_hh, masks)
        return rec if b_hh is None else rec + b_hh


class SimpleRNNStep(Step):
    def __call__(self, xw_t, states, w_hh, b_hh, masks=None):
        return (self.act(xw_t + self._rec(states[0], w_hh, b_hh, masks)),)


class LSTMStep(Step):
    n_states = 2

    def __call__(self, xw_t, states, w_hh, b_hh, masks=None):
        h, c = states
        i, f, g, o = (xw_t + self._rec(h, w_hh, b_hh, masks)).chunk(4, dim=-1)
        c_new = self.rec_act(f) * c + self.rec_act(i) * self.act(g)
        return self.rec_act(o) * self.act(c_new), c_new


class GRUStep(Step):
    """reset_after=True (PyTorch's and cuDNN's GRU)."""

    def __call__(self, xw_t, states, w_hh, b_hh, masks=None):
        h = states[0]
        x_r, x_z, x_n = xw_t.chunk(3, dim=-1)
        h_r, h_z, h_n = self._rec(h, w_hh, b_hh, masks).chunk(3, dim=-1)
        r, z = self.rec_act(x_r + h_r), self.rec_act(x_z + h_z)
        n = self.act(x_n + r * h_n)
        return (z * h + (1.0 - z) * n,)


class GRUResetBeforeStep(Step):
    """reset_after=False: the reset gate scales h before the product with U_n."""

    def __call__(self, xw_t, states, w_hh, b_hh, masks=None):
        h = states[0]
        u = h.shape[-1]
        x_r, x_z, x_n = xw_t.chunk(3, dim=-1)
        b_rz, b_n = (None, None) if b_hh is None else (b_hh[:2 * u], b_hh[2 * u:])
        h_r, h_z = self._rec(h, w_hh[:2 * u], b_rz, None if masks is None else masks[:2]) \
            .chunk(2, dim=-1)
        r, z = self.rec_act(x_r + h_r), self.rec_act(x_z + h_z)
        h_n = h if masks is None else h * masks[2]
        rec_n = (r * h_n) @ w_hh[2 * u:].T
        n = self.act(x_n + (rec_n if b_n is None else rec_n + b_n))
        return (z * h + (1.0 - z) * n,)


def make_step(kind: str, cell) -> Step:
    """The step function for a description cell of ``kind`` ('SimpleRNN', 'LSTM', 'GRU')."""
    if kind == "GRU" and not cell.reset_after:
        return GRUResetBeforeStep(cell)
    return {"SimpleRNN": SimpleRNNStep, "LSTM": LSTMStep, "GRU": GRUStep}[kind](cell)
