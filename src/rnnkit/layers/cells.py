"""Recurrent cells: one time step's equations, forward and backward.

Notation (docs/bptt.md): x_t input, h state, W kernel (in, k·u), U recurrent_kernel (u, k·u),
k gate blocks of u units each. The driver (recurrent.py) computes the input projection
``xw = x·W + b`` for every step at once; a cell only adds the recurrent part and the gate math:

    SimpleRNN  h' = f(xw + h·U)
    LSTM       [i f c o] = xw + h·U;   c' = σ(f)⊙c + σ(i)⊙g(c̃);   h' = σ(o)⊙g(c')
    GRU        [z r ĥ] blocks; reset_after: ĥ = g(xw_h + r⊙(h·U_h + b_rec,h)),
               else ĥ = g(xw_h + (r⊙h)·U_h);   h' = z⊙h + (1 − z)⊙ĥ

``step(xw_t, states, masks)`` returns the new states and a step cache, a small dataclass per
cell (``LSTMStepCache`` …) holding what that step's backward reads; the cell keeps nothing, so
one cell serves any number of concurrent forward passes.

``step_backward(d_states, cache, grads)`` is the chain rule of ``step`` read bottom-up: it
receives dL/d(new states), returns dL/d(xw_t) and dL/d(previous states), and adds this step's
share of dL/dU (and, for GRU with reset_after, of the recurrent bias) into ``grads``, the
``RecurrentGrads`` that ``start_backward`` made for this one backward pass. With recurrent
dropout every gate block g sees its own masked copy h̃_g = h ⊙ m_g (one mask per gate, fixed
over time).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .. import activations
from .. import initializers as inits
from ..kernels.dispatch import GRULoop, LSTMLoop, SimpleRNNLoop
from .base import check_positive_int


def recurrent_matmul(h: np.ndarray, U: np.ndarray, masks: np.ndarray | None):
    """(h̃, h̃·U): h̃ = h, or one masked copy per gate block when ``masks`` (k, B, u) is given."""
    if masks is None:
        return h, h @ U
    h_in = h * masks
    u = U.shape[0]
    return h_in, np.concatenate([h_in[g] @ U[:, g * u:(g + 1) * u] for g in range(len(masks))],
                                axis=-1)


def recurrent_matmul_backward(h_in, U, masks, d_out):
    """Backward of ``recurrent_matmul``: (dL/dU, dL/dh) from dL/d(h̃·U) of shape (B, k·u)."""
    if masks is None:
        return h_in.T @ d_out, d_out @ U.T
    u = U.shape[0]
    blocks = [slice(g * u, (g + 1) * u) for g in range(len(masks))]
    dU = np.concatenate([h_in[g].T @ d_out[:, b] for g, b in enumerate(blocks)], axis=1)
    dh = sum((d_out[:, b] @ U[:, b].T) * masks[g] for g, b in enumerate(blocks))
    return dU, dh


#: where each of PyTorch's GRU blocks (r, z, n) sits among Keras's (z, r, h) — its own inverse;
#: GRUCell's fused module and the weight mapping (engines/torch_engine) both read it
GRU_TORCH_FROM_KERAS = (1, 0, 2)

#: every RecurrentCell subclass by class name (filled by ``RecurrentCell.__init_subclass__``)
_CELLS: dict[str, type] = {}


@dataclass(frozen=True)
class FusedKernel:
    """One of PyTorch's fused recurrent modules (cuDNN on a GPU) that computes a cell exactly.

    ``module`` names the ``torch.nn`` class ('RNN', 'LSTM', 'GRU'); ``gate_order`` says which of
    Keras's gate blocks sits in each of PyTorch's (GRU: Keras z, r, h → PyTorch r, z, n is
    (1, 0, 2)); ``options`` are extra constructor arguments (``nonlinearity`` for nn.RNN).
    The torch engine maps the cell's [kernel, recurrent_kernel, bias] with ``gate_order``.
    """

    module: str
    gate_order: tuple[int, ...]
    options: dict = field(default_factory=dict)


@dataclass
class RecurrentGrads:
    """The recurrent part of one backward pass's weight gradients, summed over the steps visited:
    dL/dU = Σ_t h̃_tᵀ·d(h̃·U)_t, and for GRU with reset_after dL/db_rec = Σ_t d(h·U + b_rec)_t."""

    recurrent: np.ndarray
    recurrent_bias: np.ndarray | None = None


# ---- one step's cache per cell: what ``step_backward`` reads (docs/bptt.md's names) -------------
@dataclass
class SimpleRNNStepCache:
    h_in: np.ndarray              # h̃ = h, or its per-gate masked copies (k, B, u)
    h_new: np.ndarray             # h' = f(a), whose f'(a) is read from h'
    masks: np.ndarray | None      # recurrent dropout masks (k, B, u)


@dataclass
class LSTMStepCache:
    h_in: np.ndarray              # h̃ (or its masked copies)
    c: np.ndarray                 # c, the cell state going in
    i: np.ndarray                 # σ(z_i)
    f: np.ndarray                 # σ(z_f)
    g: np.ndarray                 # g(z_c), the candidate c̃
    o: np.ndarray                 # σ(z_o)
    tc: np.ndarray                # g(c')
    masks: np.ndarray | None


@dataclass
class GRUResetAfterStepCache:
    h: np.ndarray                 # h going in (the blend's direct path)
    h_in: np.ndarray              # h̃ (or its masked copies), the recurrent product's input
    z: np.ndarray
    r: np.ndarray
    rec_h: np.ndarray             # h̃·U_h + b_rec,h, which r scales
    h_hat: np.ndarray             # ĥ
    masks: np.ndarray | None


@dataclass
class GRUResetBeforeStepCache:
    h: np.ndarray                 # h going in (the blend's direct path)
    h_zr: np.ndarray              # h̃ for the z and r blocks (or their masked copies)
    z: np.ndarray
    r: np.ndarray
    h_h: np.ndarray               # h̃_h, the candidate block's (masked) h
    rh: np.ndarray                # r ⊙ h̃_h
    h_hat: np.ndarray             # ĥ
    masks: np.ndarray | None


class RecurrentCell:
    """Weights and one step's math; subclasses set ``n_gates`` and ``state_names``, and may
    declare ``compiled``, the same time loop compiled (kernels/dispatch.py).

    The protocol a cell follows (docs/architecture.md, "Adding a cell"):

    * NumPy engine — ``step`` and ``step_backward`` (required), ``build`` / ``initial_bias`` /
      ``input_bias_of`` / ``weight_grads`` when its weights differ from [kernel,
      recurrent_kernel, bias], ``get_config`` for its own options;
    * torch engine — ``torch_step`` (required there): the same step in torch ops on Keras-layout
      weights, and optionally ``fused_kernel`` / ``fused_blockers`` for PyTorch's fused module.

    Every subclass is registered by class name (``cell_class``), so ``RNN.from_config`` and
    ``load_model`` find cells defined outside rnnkit once their class is defined.
    """

    n_gates = 1
    state_names: tuple[str, ...] = ("h",)
    compiled = None
    #: What ``rnnkit.insight`` shows of a step: (name, step cache attribute) of the gates — the
    #: recurrent activation's outputs, σ ∈ (0, 1) — and of the candidates (the activation's);
    #: a cell that names none is shown by its states alone.
    gate_fields: tuple[tuple[str, str], ...] = ()
    candidate_fields: tuple[tuple[str, str], ...] = ()

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros"):
        self.units = check_positive_int("units", units)
        self.activation = activations.get_elementwise(activation)
        self.recurrent_activation = activations.get_elementwise(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = inits.get(kernel_initializer)
        self.recurrent_initializer = inits.get(recurrent_initializer)
        self.bias_initializer = inits.get(bias_initializer)
        self.weight_names: list[str] = []

    # ---- weights -----------------------------------------------------------------------------
    def build(self, input_dim: int, dtype: str, rng: np.random.Generator) -> None:
        ku = self.n_gates * self.units
        self._add("kernel", self.kernel_initializer((input_dim, ku), dtype, rng))
        self._add("recurrent_kernel", self.recurrent_initializer((self.units, ku), dtype, rng))
        if self.use_bias:
            self._add("bias", self.initial_bias(dtype, rng))

    def _add(self, name, value):
        setattr(self, name, np.ascontiguousarray(value))
        self.weight_names.append(name)

    def initial_bias(self, dtype, rng) -> np.ndarray:
        return self.bias_initializer((self.n_gates * self.units,), dtype, rng)

    def params(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self.weight_names]

    @property
    def input_bias(self):
        """The part of the bias added with x·W (all of it, except for GRU reset_after)."""
        return self.input_bias_of({n: getattr(self, n) for n in self.weight_names})

    # ---- time loop hooks -----------------------------------------------------------------------
    def zero_states(self, batch: int, dtype) -> tuple[np.ndarray, ...]:
        return tuple(np.zeros((batch, self.units), dtype) for _ in self.state_names)

    def start_backward(self) -> RecurrentGrads:
        """Zeroed sums for one backward pass, which ``step_backward`` adds into."""
        return RecurrentGrads(np.zeros_like(self.recurrent_kernel))

    def weight_grads(self, dW: np.ndarray, dxw_sum: np.ndarray,
                     grads: RecurrentGrads) -> list[np.ndarray]:
        """Gradients in weight order, from the input part (driver) and the recurrent part (steps)."""
        return [dW, grads.recurrent] + ([dxw_sum] if self.use_bias else [])

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        known = _CELLS.get(cls.__name__)
        if known is not None and known.__module__ != cls.__module__:
            warnings.warn(f"recurrent cell {cls.__name__} of {cls.__module__} replaces the one of "
                          f"{known.__module__} in the registry that loading reads; rename one",
                          stacklevel=2)
        _CELLS[cls.__name__] = cls

    def missing_methods(self, names=("step", "step_backward")) -> list[str]:
        """The protocol methods in ``names`` this cell's class does not define."""
        base = RecurrentCell
        return [n for n in names if getattr(type(self), n, None) is getattr(base, n, None)]

    def step(self, xw_t, states, masks=None):
        """(new states, this step's cache for ``step_backward``) from xw_t = x_t·W + b."""
        raise NotImplementedError

    def step_backward(self, d_states, cache, grads):
        """(dL/dxw_t, dL/d(previous states)) from dL/d(new states); adds this step's share of
        the recurrent weights' gradients into ``grads`` — whatever ``start_backward`` made:
        ``RecurrentGrads`` here, a cell's own sums object where it has more weights."""
        raise NotImplementedError

    def input_bias_of(self, weights: dict):
        """The bias added with x·W, from weights by name (NumPy arrays or torch tensors): the
        driver's projection in both engines."""
        return weights["bias"] if self.use_bias else None

    # ---- the torch engine (engines/torch_engine/recurrent.py) ------------------------------------

    def torch_step(self, ops, weights: dict, xw_t, states, masks=None):
        """``step`` in torch ops (autograd differentiates it): new states from xw_t, the states
        and ``weights`` (name → tensor, Keras layout); ``ops`` holds the torch helpers
        (``ops.act(activation)``, ``ops.recurrent_matmul(h, U, masks)``)."""
        raise NotImplementedError

    def fused_kernel(self) -> FusedKernel | None:
        """PyTorch's fused module computing this cell exactly, or None if there is none."""
        return None

    def fused_blockers(self) -> list[str]:
        """This cell's options that its fused module cannot express (then a step loop runs)."""
        return []

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def get_config(self) -> dict:
        return {"units": self.units, "activation": self.activation.name,
                "recurrent_activation": self.recurrent_activation.name,
                "use_bias": self.use_bias,
                "kernel_initializer": inits.serialize(self.kernel_initializer),
                "recurrent_initializer": inits.serialize(self.recurrent_initializer),
                "bias_initializer": inits.serialize(self.bias_initializer)}


def cell_class(name: str) -> type:
    """The cell class registered under ``name`` (every RecurrentCell subclass is)."""
    if name not in _CELLS:
        raise ValueError(f"unknown recurrent cell {name!r}; known: {', '.join(sorted(_CELLS))}. "
                         f"A cell defined in your code must be imported (defined) before loading")
    return _CELLS[name]


@contextmanager
def custom_cells(custom_objects: dict):
    """Keras's ``custom_objects`` for cells: each name resolves to its class while the block runs.

    A RecurrentCell subclass registers itself under its class name when defined, so a name equal
    to it needs nothing; this lets a file name a cell otherwise (a renamed class, say). Anything
    else is refused in one line: rnnkit's layers are its own, only cells are user-defined."""
    for name, cls in custom_objects.items():
        if not (isinstance(cls, type) and issubclass(cls, RecurrentCell)):
            raise TypeError(f"custom_objects[{name!r}] is {cls!r}: rnnkit loads your own "
                             f"recurrent cells (RecurrentCell subclasses) this way, nothing else")
    before = {name: _CELLS.get(name) for name in custom_objects}
    _CELLS.update(custom_objects)
    try:
        yield
    finally:
        for name, cls in before.items():
            if cls is None:
                _CELLS.pop(name, None)
            else:
                _CELLS[name] = cls


def _gate_blockers(cell) -> list[str]:
    """Why nn.LSTM / nn.GRU cannot run ``cell``: they fix tanh and sigmoid."""
    out = []
    if cell.activation.name != "tanh":
        out.append(f"activation={cell.activation.name!r}")
    if cell.recurrent_activation.name != "sigmoid":
        out.append(f"recurrent_activation={cell.recurrent_activation.name!r}")
    return out


class SimpleRNNCell(RecurrentCell):
    """h' = f(x·W + h·U + b)."""

    compiled = SimpleRNNLoop()

    def step(self, xw_t, states, masks=None):
        (h,) = states
        h_in, hU = recurrent_matmul(h, self.recurrent_kernel, masks)
        h_new = self.activation.fn(xw_t + hU)
        return (h_new,), SimpleRNNStepCache(h_in, h_new, masks)

    def step_backward(self, d_states, cache: SimpleRNNStepCache, grads: RecurrentGrads):
        (dh_new,) = d_states
        da = dh_new * self.activation.grad(cache.h_new)               # through f
        dU, dh = recurrent_matmul_backward(cache.h_in, self.recurrent_kernel, cache.masks, da)
        grads.recurrent += dU                                          # dU += h̃ᵀ·da
        return da, (dh,)

    def torch_step(self, ops, weights, xw_t, states, masks=None):
        (h,) = states
        return (ops.act(self.activation)(xw_t + ops.recurrent_matmul(h, weights["recurrent_kernel"],
                                                                      masks)),)

    def fused_kernel(self):
        return FusedKernel("RNN", (0,), {"nonlinearity": self.activation.name})

    def fused_blockers(self):
        name = self.activation.name
        return [] if name in ("tanh", "relu") else [f"activation={name!r}"]


class LSTMCell(RecurrentCell):
    """Keras's gate order i, f, c, o; states (h, c)."""

    n_gates = 4
    state_names = ("h", "c")
    compiled = LSTMLoop()
    gate_fields = (("i", "i"), ("f", "f"), ("o", "o"))
    candidate_fields = (("g", "g"),)

    def __init__(self, units, unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def initial_bias(self, dtype, rng):
        bias = super().initial_bias(dtype, rng)
        if self.unit_forget_bias:  # Keras: the forget slice is *set* to one, not incremented
            bias[self.units:2 * self.units] = 1.0
        return bias

    def step(self, xw_t, states, masks=None):
        h, c = states
        u, sig, act = self.units, self.recurrent_activation.fn, self.activation.fn
        h_in, hU = recurrent_matmul(h, self.recurrent_kernel, masks)
        z = xw_t + hU
        i, f = sig(z[:, :u]), sig(z[:, u:2 * u])
        g, o = act(z[:, 2 * u:3 * u]), sig(z[:, 3 * u:])
        c_new = f * c + i * g                                          # c' = f⊙c + i⊙g
        tc = act(c_new)
        h_new = o * tc                                                 # h' = o⊙g(c')
        return (h_new, c_new), LSTMStepCache(h_in, c, i, f, g, o, tc, masks)

    def step_backward(self, d_states, cache: LSTMStepCache, grads: RecurrentGrads):
        dh_new, dc_new = d_states
        c, i, f, g, o, tc = cache.c, cache.i, cache.f, cache.g, cache.o, cache.tc
        dsig, dact = self.recurrent_activation.grad, self.activation.grad
        dc = dc_new + dh_new * o * dact(tc)                            # both paths into c'
        dz = np.concatenate([dc * g * dsig(i),                         # dz_i
                             dc * c * dsig(f),                         # dz_f
                             dc * i * dact(g),                         # dz_c
                             dh_new * tc * dsig(o)], axis=1)           # dz_o
        dU, dh = recurrent_matmul_backward(cache.h_in, self.recurrent_kernel, cache.masks, dz)
        grads.recurrent += dU                                          # dU += h̃ᵀ·dz
        return dz, (dh, dc * f)                                        # dc_prev = dc⊙f

    def torch_step(self, ops, weights, xw_t, states, masks=None):
        h, c = states
        sig, act = ops.act(self.recurrent_activation), ops.act(self.activation)
        z = xw_t + ops.recurrent_matmul(h, weights["recurrent_kernel"], masks)
        i, f, g, o = z.chunk(4, dim=-1)
        c_new = sig(f) * c + sig(i) * act(g)
        return sig(o) * act(c_new), c_new

    def fused_kernel(self):
        return FusedKernel("LSTM", (0, 1, 2, 3))

    def fused_blockers(self):
        return _gate_blockers(self)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(RecurrentCell):
    """Keras's gate order z, r, h; ``reset_after`` selects where the reset gate applies."""

    n_gates = 3
    compiled = GRULoop()
    gate_fields = (("z", "z"), ("r", "r"))
    candidate_fields = (("h_hat", "h_hat"),)

    def __init__(self, units, reset_after: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def initial_bias(self, dtype, rng):
        if not self.reset_after:
            return super().initial_bias(dtype, rng)
        # Row 0 is added with x·W, row 1 with h·U (so r can scale h·U_h + b_rec,h).
        return self.bias_initializer((2, 3 * self.units), dtype, rng)

    def input_bias_of(self, weights):
        if not self.use_bias:
            return None
        return weights["bias"][0] if self.reset_after else weights["bias"]

    def step(self, xw_t, states, masks=None):
        if self.reset_after:
            return self._step_reset_after(xw_t, states[0], masks)
        return self._step_reset_before(xw_t, states[0], masks)

    def step_backward(self, d_states, cache, grads: RecurrentGrads):
        if self.reset_after:
            return self._backward_reset_after(d_states[0], cache, grads)
        return self._backward_reset_before(d_states[0], cache, grads)

    def _blend_backward(self, dh_new, h, z, h_hat):
        """Through h' = z⊙h + (1−z)⊙ĥ and the nonlinearities that make z and ĥ."""
        da_h = dh_new * (1.0 - z) * self.activation.grad(h_hat)       # dL/d(pre-activation of ĥ)
        da_z = dh_new * (h - h_hat) * self.recurrent_activation.grad(z)
        return da_h, da_z, dh_new * z                                  # … and the direct path to h

    # ---- reset_after=True (Keras's and cuDNN's default) ----------------------------------------
    def _step_reset_after(self, xw_t, h, masks):
        u, sig = self.units, self.recurrent_activation.fn
        h_in, rec = recurrent_matmul(h, self.recurrent_kernel, masks)
        if self.use_bias:
            rec = rec + self.bias[1]
        z = sig(xw_t[:, :u] + rec[:, :u])
        r = sig(xw_t[:, u:2 * u] + rec[:, u:2 * u])
        rec_h = rec[:, 2 * u:]
        h_hat = self.activation.fn(xw_t[:, 2 * u:] + r * rec_h)        # ĥ = g(xw_h + r⊙(hU_h + b))
        h_new = z * h + (1.0 - z) * h_hat                              # h' = z⊙h + (1−z)⊙ĥ
        return (h_new,), GRUResetAfterStepCache(h, h_in, z, r, rec_h, h_hat, masks)

    def _backward_reset_after(self, dh_new, cache: GRUResetAfterStepCache,
                              grads: RecurrentGrads):
        r = cache.r
        da_h, da_z, dh = self._blend_backward(dh_new, cache.h, cache.z, cache.h_hat)
        da_r = da_h * cache.rec_h * self.recurrent_activation.grad(r)
        d_rec = np.concatenate([da_z, da_r, da_h * r], axis=1)         # dL/d(h·U + b_rec)
        dU, dh_rec = recurrent_matmul_backward(cache.h_in, self.recurrent_kernel, cache.masks,
                                               d_rec)
        grads.recurrent += dU
        if self.use_bias:
            grads.recurrent_bias += d_rec.sum(axis=0)
        return np.concatenate([da_z, da_r, da_h], axis=1), (dh + dh_rec,)

    # ---- reset_after=False (the original GRU of Cho et al.) -------------------------------------
    def _step_reset_before(self, xw_t, h, masks):
        u, sig, U = self.units, self.recurrent_activation.fn, self.recurrent_kernel
        h_zr, rec_zr = recurrent_matmul(h, U[:, :2 * u], None if masks is None else masks[:2])
        z = sig(xw_t[:, :u] + rec_zr[:, :u])
        r = sig(xw_t[:, u:2 * u] + rec_zr[:, u:])
        h_h = h if masks is None else h * masks[2]
        rh = r * h_h
        h_hat = self.activation.fn(xw_t[:, 2 * u:] + rh @ U[:, 2 * u:])  # ĥ = g(xw_h + (r⊙h)U_h)
        h_new = z * h + (1.0 - z) * h_hat
        return (h_new,), GRUResetBeforeStepCache(h, h_zr, z, r, h_h, rh, h_hat, masks)

    def _backward_reset_before(self, dh_new, cache: GRUResetBeforeStepCache,
                               grads: RecurrentGrads):
        u, U, r, masks = self.units, self.recurrent_kernel, cache.r, cache.masks
        da_h, da_z, dh = self._blend_backward(dh_new, cache.h, cache.z, cache.h_hat)
        d_rh = da_h @ U[:, 2 * u:].T                                   # through (r⊙h̃)·U_h
        da_r = d_rh * cache.h_h * self.recurrent_activation.grad(r)
        grads.recurrent[:, 2 * u:] += cache.rh.T @ da_h
        dU_zr, dh_zr = recurrent_matmul_backward(
            cache.h_zr, U[:, :2 * u], None if masks is None else masks[:2],
            np.concatenate([da_z, da_r], axis=1))
        grads.recurrent[:, :2 * u] += dU_zr
        dh_h = d_rh * r if masks is None else d_rh * r * masks[2]
        return np.concatenate([da_z, da_r, da_h], axis=1), (dh + dh_zr + dh_h,)

    # ---- gradients ------------------------------------------------------------------------------
    def start_backward(self):
        grads = super().start_backward()
        if self.use_bias and self.reset_after:
            grads.recurrent_bias = np.zeros_like(self.bias[1])
        return grads

    def weight_grads(self, dW, dxw_sum, grads):
        if not (self.use_bias and self.reset_after):
            return super().weight_grads(dW, dxw_sum, grads)
        return [dW, grads.recurrent, np.stack([dxw_sum, grads.recurrent_bias])]

    # ---- the torch engine -------------------------------------------------------------------------
    def torch_step(self, ops, weights, xw_t, states, masks=None):
        h, U, u = states[0], weights["recurrent_kernel"], self.units
        sig, act = ops.act(self.recurrent_activation), ops.act(self.activation)
        x_z, x_r, x_h = xw_t.chunk(3, dim=-1)
        if self.reset_after:
            rec = ops.recurrent_matmul(h, U, masks)
            if self.use_bias:
                rec = rec + weights["bias"][1]
            rec_z, rec_r, rec_h = rec.chunk(3, dim=-1)
            z, r = sig(x_z + rec_z), sig(x_r + rec_r)
            h_hat = act(x_h + r * rec_h)                               # ĥ = g(xw_h + r⊙(hU_h + b))
        else:
            rec_z, rec_r = ops.recurrent_matmul(h, U[:, :2 * u],
                                                None if masks is None else masks[:2]).chunk(2, -1)
            z, r = sig(x_z + rec_z), sig(x_r + rec_r)
            h_h = h if masks is None else h * masks[2]
            h_hat = act(x_h + (r * h_h) @ U[:, 2 * u:])                # ĥ = g(xw_h + (r⊙h)U_h)
        return (z * h + (1.0 - z) * h_hat,)

    def fused_kernel(self):
        return FusedKernel("GRU", GRU_TORCH_FROM_KERAS)

    def fused_blockers(self):
        return _gate_blockers(self) + ([] if self.reset_after else ["reset_after=False"])

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
