"""A layer-normalized LSTM (Ba, Kiros & Hinton 2016), in the form of TF-Addons' LayerNormLSTMCell.

The whole cell is this file: weights, the NumPy step and its hand-derived backward (docs/bptt.md,
"Layer-normalized LSTM", table by table), the torch step. Nothing else in rnnkit names it: the
RNN driver, Bidirectional, both engines and save/load find everything through the cell protocol.

    z = LN_x(x·W) + LN_h(h̃·U) + b = [z_i z_f z_c z_o]      (Keras's gate order)
    c' = LN_c(σ(z_f) ⊙ c + σ(z_i) ⊙ g(z_c));   h' = σ(z_o) ⊙ g(c')

LN(v) = γ ⊙ (v − μ)/√(var + ε) + β over a row's entries, with its own γ, β per norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import initializers as inits
from .cells import LSTMCell, recurrent_matmul, recurrent_matmul_backward
from .recurrent import RNN

#: the three norms, in weight order: over x·W's gate columns, h·U's, and the cell state
NORMS = ("kernel_norm", "recurrent_norm", "state_norm")


@dataclass
class NormCache:
    """What LN's backward reads: v̂ = (v − μ)ρ and ρ = 1/√(var + ε), per row."""

    v_hat: np.ndarray
    rho: np.ndarray


@dataclass
class LayerNormLSTMStepCache:
    h_in: np.ndarray              # h̃ (or its per-gate masked copies)
    c: np.ndarray                 # c going in
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray                 # the candidate c̃ = g(z_c)
    o: np.ndarray
    tc: np.ndarray                # g(c')
    norms: dict                   # NORMS name → NormCache
    masks: np.ndarray | None


@dataclass
class LayerNormLSTMGrads:
    """Sums over the steps of everything the steps' backward produces, by weight name."""

    sums: dict


class LayerNormLSTMCell(LSTMCell):
    """LSTM cell with layer normalization on the gate pre-activations and the cell state.

    Weights: kernel (in, 4u), recurrent_kernel (u, 4u), bias (4u,) — then γ and β of
    kernel_norm (4u), recurrent_norm (4u) and state_norm (u).
    """

    # No compiled loop and no fused PyTorch module: both serve only the class that declares
    # them, so LSTMCell's are not inherited, and the step loops run this cell's own math.

    def __init__(self, units, norm_gamma_initializer="ones", norm_beta_initializer="zeros",
                 norm_epsilon: float = 1e-3, **kwargs):
        super().__init__(units, **kwargs)
        self.norm_gamma_initializer = inits.get(norm_gamma_initializer)
        self.norm_beta_initializer = inits.get(norm_beta_initializer)
        if not isinstance(norm_epsilon, (int, float)) or norm_epsilon <= 0:
            raise ValueError(f"norm_epsilon must be a positive float, got {norm_epsilon!r}")
        self.norm_epsilon = float(norm_epsilon)

    # ---- weights --------------------------------------------------------------------------------
    def build(self, input_dim, dtype, rng):
        super().build(input_dim, dtype, rng)
        for name in NORMS:
            width = self.units if name == "state_norm" else 4 * self.units
            self._add(f"{name}_gamma", self.norm_gamma_initializer((width,), dtype, rng))
            self._add(f"{name}_beta", self.norm_beta_initializer((width,), dtype, rng))

    def input_bias_of(self, weights):
        return None               # b is added after the norms, inside the step

    # ---- layer normalization, forward and back ---------------------------------------------------
    def _norm(self, v, name):
        """(LN(v), NormCache) with the norm's γ, β."""
        mu = v.mean(axis=-1, keepdims=True)
        rho = 1.0 / np.sqrt(v.var(axis=-1, keepdims=True) + self.norm_epsilon)
        v_hat = (v - mu) * rho
        gamma, beta = getattr(self, f"{name}_gamma"), getattr(self, f"{name}_beta")
        return gamma * v_hat + beta, NormCache(v_hat, rho)

    def _norm_backward(self, dy, cache: NormCache, name, grads: LayerNormLSTMGrads):
        """dL/dv from dL/dy; adds dγ = Σ dy⊙v̂ and dβ = Σ dy (docs/bptt.md, LN table)."""
        grads.sums[f"{name}_gamma"] += (dy * cache.v_hat).sum(axis=0)
        grads.sums[f"{name}_beta"] += dy.sum(axis=0)
        dv_hat = dy * getattr(self, f"{name}_gamma")
        n = dy.shape[-1]
        return cache.rho / n * (n * dv_hat - dv_hat.sum(-1, keepdims=True)
                                - cache.v_hat * (dv_hat * cache.v_hat).sum(-1, keepdims=True))

    # ---- one step --------------------------------------------------------------------------------
    def step(self, xw_t, states, masks=None):
        h, c = states
        u, sig, act = self.units, self.recurrent_activation.fn, self.activation.fn
        h_in, hU = recurrent_matmul(h, self.recurrent_kernel, masks)
        zx, nx = self._norm(xw_t, "kernel_norm")
        zh, nh = self._norm(hU, "recurrent_norm")
        z = zx + zh + (self.bias if self.use_bias else 0.0)
        i, f = sig(z[:, :u]), sig(z[:, u:2 * u])
        g, o = act(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
        c_new, nc = self._norm(f * c + i * g, "state_norm")          # c' = LN_c(f⊙c + i⊙c̃)
        tc = act(c_new)
        norms = {"kernel_norm": nx, "recurrent_norm": nh, "state_norm": nc}
        return (o * tc, c_new), LayerNormLSTMStepCache(h_in, c, i, f, g, o, tc, norms, masks)

    def step_backward(self, d_states, cache: LayerNormLSTMStepCache, grads: LayerNormLSTMGrads):
        dh_new, dc_new = d_states
        dsig, dact = self.recurrent_activation.grad, self.activation.grad
        dc = dc_new + dh_new * cache.o * dact(cache.tc)                # both paths into c'
        dc_raw = self._norm_backward(dc, cache.norms["state_norm"], "state_norm", grads)
        dz = np.concatenate([dc_raw * cache.g * dsig(cache.i),         # dz_i
                             dc_raw * cache.c * dsig(cache.f),         # dz_f
                             dc_raw * cache.i * dact(cache.g),         # dz_c
                             dh_new * cache.tc * dsig(cache.o)], axis=1)  # dz_o
        if self.use_bias:
            grads.sums["bias"] += dz.sum(axis=0)
        d_hU = self._norm_backward(dz, cache.norms["recurrent_norm"], "recurrent_norm", grads)
        dU, dh = recurrent_matmul_backward(cache.h_in, self.recurrent_kernel, cache.masks, d_hU)
        grads.sums["recurrent_kernel"] += dU
        dxw = self._norm_backward(dz, cache.norms["kernel_norm"], "kernel_norm", grads)
        return dxw, (dh, dc_raw * cache.f)                             # dc_prev = dc_raw⊙f

    def start_backward(self):
        return LayerNormLSTMGrads({n: np.zeros_like(getattr(self, n))
                                   for n in self.weight_names if n != "kernel"})

    def weight_grads(self, dW, dxw_sum, grads):
        # Σ dxw is not the bias's gradient: the bias sits after the norms (see input_bias_of).
        return [dW] + [grads.sums[n] for n in self.weight_names[1:]]

    # ---- the torch engine ------------------------------------------------------------------------
    def torch_step(self, ops, weights, xw_t, states, masks=None):
        h, c = states
        sig, act = ops.act(self.recurrent_activation), ops.act(self.activation)

        def norm(v, name):
            return ops.torch.nn.functional.layer_norm(
                v, v.shape[-1:], weights[f"{name}_gamma"], weights[f"{name}_beta"],
                self.norm_epsilon)

        z = norm(xw_t, "kernel_norm") + norm(
            ops.recurrent_matmul(h, weights["recurrent_kernel"], masks), "recurrent_norm")
        if self.use_bias:
            z = z + weights["bias"]
        i, f, g, o = z.chunk(4, dim=-1)
        c_new = norm(sig(f) * c + sig(i) * act(g), "state_norm")
        return sig(o) * act(c_new), c_new

    def get_config(self):
        return {**super().get_config(),
                "norm_gamma_initializer": inits.serialize(self.norm_gamma_initializer),
                "norm_beta_initializer": inits.serialize(self.norm_beta_initializer),
                "norm_epsilon": self.norm_epsilon}


class LayerNormLSTM(RNN):
    """``RNN(LayerNormLSTMCell(units, …))`` as one layer, configured like ``LSTM``."""

    _flat_cell = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, norm_gamma_initializer="ones",
                 norm_beta_initializer="zeros", norm_epsilon=1e-3, **kwargs):
        cell = LayerNormLSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, norm_gamma_initializer=norm_gamma_initializer,
            norm_beta_initializer=norm_beta_initializer, norm_epsilon=norm_epsilon)
        super().__init__(cell, **kwargs)
