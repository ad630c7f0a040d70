"""Numerical gradient checking: the proof that a hand-written backward pass is right.

For a stack of layers f and a fixed random projection R, the scalar L = Σ R ⊙ f(x) has
dL/dθ computed twice: by the layers' ``backward`` and by central differences, one coordinate at
a time. The five-point stencil

    L'(θ) ≈ (L(θ − 2ε) − 8 L(θ − ε) + 8 L(θ + ε) − L(θ + 2ε)) / 12ε

has truncation error O(ε⁴) instead of the two-point O(ε²); run in float64 with ε = 1e-4 it leaves
about 1e-12 of noise, so even small gradient entries are judged on their own relative error.
In float32 the same differences are mostly rounding noise (relative errors up to 1.0, the number a
real bug gives), so ``check_gradients`` refuses layers that are not float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layers.base import Layer
from .functional.graph import Graph
from .functional.walk import backward_graph, run_graph


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-5) -> float:
    """max_i |a_i − b_i| / max(|a_i| + |b_i|, floor).

    Scale-free for ordinary entries. The floor keeps entries that are truly zero (a fully
    padded row, say), where the differences hold only ~1e-12 of rounding noise, from dividing
    noise by noise; a discrepancy above 1e-11 is still reported as an error above 1e-6.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


_STENCIL = ((-2, 1.0), (-1, -8.0), (1, 8.0), (2, -1.0))  # offsets and weights, over 12ε


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``array``, perturbed in place."""
    grad = np.zeros_like(array, dtype=np.float64)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        total = 0.0
        for offset, weight in _STENCIL:
            flat[i] = old + offset * eps
            total += weight * f()
        flat[i] = old
        gflat[i] = total / (12 * eps)
    return grad


def _reseed(layer: Layer, seed: int) -> None:
    """Give a layer (and the directions of a Bidirectional) a fresh generator from ``seed``, so
    every forward pass of the check draws the same dropout masks."""
    layer.rng = np.random.default_rng(seed)
    for i, sub in enumerate((getattr(layer, "forward_layer", None),
                             getattr(layer, "backward_layer", None))):
        if sub is not None:
            sub.rng = np.random.default_rng(seed + 1 + i)


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


@dataclass
class GraphRun:
    """Forward and backward through a graph of layers (a chain for a list of layers), with
    Keras's mask propagation: the walk every engine runs (functional/walk.py)."""

    graph: Graph
    training: bool = False
    seed: int = 0

    @property
    def layers(self) -> list:
        return self.graph.layers

    def forward(self, x, mask=None):
        """The output alone (each layer's ``forward``)."""
        return _one(run_graph(self.graph, self.layers, [x], lambda layer, x, mask: (
            self._ready(layer, x).forward(x, training=self.training, mask=mask), None),
            [mask])[0])

    def forward_train(self, x, mask=None):
        """(output, one cache per call), the same dropout masks as ``forward`` draws."""
        outputs, caches = run_graph(self.graph, self.layers, [x], lambda layer, x, mask: self._ready(
            layer, x).forward_train(x, training=self.training, mask=mask), [mask])
        return _one(outputs), caches

    def _ready(self, layer, x):
        """``layer`` built and reseeded, so every pass draws the same dropout masks."""
        _reseed(layer, self.seed + 10 * self.layers.index(layer))
        if not layer.built:
            layer.ensure_built(_batchless_shape(x))
        return layer

    def backward(self, dy, caches):
        """(dL/dx, each layer's weight gradients, summed over its calls) for the pass that
        made ``caches``."""
        d_inputs, grads = backward_graph(self.graph, self.layers, caches,
                                         [dy] if len(self.graph.outputs) == 1 else list(dy))
        return d_inputs[0], [g if g is not None else [np.zeros_like(w) for w in layer.params()]
                             for layer, g in zip(self.layers, grads)]


def _one(outputs: list):
    return outputs[0] if len(outputs) == 1 else outputs


def _batchless_shape(x):
    """The shape a layer is built for: (None, …), or one per input for a list (a merge)."""
    if isinstance(x, (list, tuple)):
        return [_batchless_shape(item) for item in x]
    return (None,) + np.shape(x)[1:]


def _float64_input(x):
    """Float inputs in float64 (a float32 input would round its own perturbations); a list
    input (a merge layer's) item by item."""
    if isinstance(x, (list, tuple)):
        return [_float64_input(item) for item in x]
    x = np.array(x)
    return x.astype(np.float64) if x.dtype.kind == "f" else x


def _named_inputs(x, d_in) -> list:
    """(name, input, its analytic gradient) for each float input: "input", or "input_0",
    "input_1" … for a list; integer ids (an Embedding's) have no gradient."""
    if isinstance(x, list):
        triples = [(f"input_{i}", a, d) for i, (a, d) in enumerate(zip(x, d_in, strict=True))]
    else:
        triples = [("input", x, d_in)]
    return [t for t in triples if t[1].dtype.kind == "f"]


def _parts(layers):
    """Every layer and, in a Bidirectional, its two directions."""
    for layer in layers:
        for part in (layer, getattr(layer, "forward_layer", None),
                     getattr(layer, "backward_layer", None)):
            if part is not None:
                yield part


def _require_float64(layers) -> None:
    """Refuse float32 layers: their differences are rounding noise, not a derivative."""
    for part in _parts(layers):
        if part.dtype != "float64":
            raise ValueError(f"check_gradients needs float64 layers, got layer "
                             f"{part.name!r} in {part.dtype} (whose rounding alone gives "
                             f"relative errors up to 1.0); build it with dtype=\"float64\"")


def _refuse_truncation(layers) -> None:
    """Truncated BPTT is the gradient of a surrogate, not of the loss: checking it against finite
    differences of the loss fails by design (relative errors near 1), so it is refused."""
    for part in _parts(layers):
        if getattr(part, "bptt_truncate", None) is not None:
            raise ValueError(f"check_gradients compares with the loss's own gradient, but layer "
                             f"{part.name!r} truncates BPTT (bptt_truncate="
                             f"{part.bptt_truncate}), whose gradient is a surrogate's by "
                             f"design; check it with bptt_truncate=None")


def _named_gradients(layer, grads) -> list:
    """(name, weight, gradient) triples; a weight without its gradient is an error, not a skip."""
    names, weights, grads = layer.weight_names, layer.params(), list(grads)
    if not len(names) == len(weights) == len(grads):
        raise ValueError(f"layer {layer.name!r} has {len(weights)} weights ({', '.join(names)}) "
                         f"but its backward returned {len(grads)} gradients")
    triples = list(zip(names, weights, grads, strict=True))
    for name, w, g in triples:
        if np.shape(g) != w.shape:
            raise ValueError(f"layer {layer.name!r}: the gradient of {name!r} has shape "
                             f"{np.shape(g)}, the weight {w.shape}")
    return triples


def check_gradients(layers, x, mask=None, training=False, seed=0, eps=1e-4,
                    check_input=True) -> dict[str, float]:
    """Relative error of every weight's (and the input's) analytic gradient, by name.

    ``layers`` is one float64 layer, a list applied in order, or a model (its compute graph: a
    Functional model's branches, merges and shared layers). Float inputs are checked too (in
    float64) unless ``check_input`` is False; integer ids (an Embedding) have no gradient.
    ``x`` is a list for a first layer that merges several inputs (each checked by name).
    """
    graph = layers.graph if hasattr(layers, "graph") else Graph.chain(
        list(layers) if isinstance(layers, (list, tuple)) else [layers])
    stack = GraphRun(graph, training, seed)
    _require_float64(stack.layers)
    _refuse_truncation(stack.layers)
    x = _float64_input(x)
    outputs = _as_list(stack.forward(x, mask))
    rng = np.random.default_rng(seed + 12345)
    projections = [rng.standard_normal(np.shape(y)) for y in outputs]

    def loss() -> float:  # the function whose caches backward reads: forward_train's
        ys = _as_list(stack.forward_train(x, mask)[0])
        return float(sum(np.sum(r * y) for r, y in zip(projections, ys)))

    _, caches = stack.forward_train(x, mask)        # an unperturbed run, kept for backward
    d_in, grads = stack.backward(projections if len(outputs) > 1 else projections[0], caches)
    errors = {}
    for layer, layer_grads in zip(stack.layers, grads, strict=True):
        for name, w, g in _named_gradients(layer, layer_grads):
            errors[f"{layer.name}/{name}"] = relative_error(g, numerical_gradient(loss, w, eps))
    for name, array, grad in _named_inputs(x, d_in) if check_input else []:
        errors[name] = relative_error(grad, numerical_gradient(loss, array, eps))
    return errors
