"""The function an explanation differentiates: f_c(v), the probability of class c given the
vectors v that a text becomes in front of the recurrent layers, and its gradient ∂f_c/∂v.

v (batch, time, features) are the Embedding's output rows E[id] — or, for a model that reads
one-hot rows, those rows themselves. The mask (batch, time) is the Embedding's (ids ≠ 0) and is
held fixed whatever v is, so a scaled or occluded input keeps the text's padding as padding.

f_c is the class probability, as ``class_probabilities`` reads a model's output: the softmax
output's column c, or for one sigmoid unit p (class 1) and 1 − p (class 0). The gradient starts
from dy = ∂f_c/∂y — a one-hot row, or ±1 on the sigmoid unit — and goes down to v.

Two engines compute ∂f_c/∂v independently of each other:

* ``NumpyClassScore``: each layer's ``forward_train`` (inference mode) and its hand-written
  ``backward``, top down, as the NumPy engine's train step runs them (BPTT included);
* ``TorchClassScore``: the torch engine's modules for the same layers (sharing their weights)
  and ``torch.autograd.grad``.

Both run the *body*: the model's graph with its Embedding taken off the front
(``Graph.after``), so v is the body's one input. A Sequential model's body is a chain; a
Functional model's may branch and merge (a GRU and a Conv1D both reading v, concatenated), and
both engines walk it with the one graph walk (functional/walk.py) that training uses.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..functional.graph import Graph
from ..functional.walk import backward_graph, run_graph
from ..layers import Embedding
from .errors import ExplainError

ENGINES = ("numpy", "torch")
#: interpolated inputs sent through the model at once (bounds the caches' memory)
CHUNK = 64


@dataclass(frozen=True)
class ModelInput:
    """How a model reads an encoded row: its Embedding (None when it reads one-hot rows) and
    ``body``, the graph of everything after it (functional/graph.py; a chain for a Sequential
    model), whose one input is v and whose output f_c reads."""

    embedding: Embedding | None
    body: Graph

    @classmethod
    def of(cls, model) -> ModelInput:
        graph = model.graph
        if len(graph.inputs) != 1 or len(graph.outputs) != 1:
            raise ExplainError(f"model {model.name!r} has {len(graph.inputs)} inputs and "
                               f"{len(graph.outputs)} outputs; explanations need one of each "
                               f"(one text in, one prediction out)")
        readers = graph.consumers(graph.inputs[0])
        first = [graph.layers[graph.steps[i].unit] for i in readers]
        if len(first) == 1 and isinstance(first[0], Embedding):
            return cls(first[0], graph.after(readers[0]))
        if first and all(layer.built and len(layer.input_shape) == 3 for layer in first):
            return cls(None, graph)              # one-hot rows (batch, time, vocabulary)
        raise ExplainError(_no_word_vectors(model, first))

    @property
    def first_layers(self) -> list:
        """The layers that read v."""
        return [self.body.layers[self.body.steps[i].unit]
                for i in self.body.consumers(self.body.inputs[0])]

    def vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(v, mask) of encoded rows: (batch, time) ids, or (batch, time, vocabulary) one-hot."""
        if self.embedding is None:
            return np.asarray(rows, dtype=self.first_layers[0].dtype), None
        ids = self.embedding.check_ids(rows)
        return self.embedding.embeddings[ids], self.embedding.compute_mask(ids, None)

    def words_of_row(self, rows: np.ndarray) -> np.ndarray:
        """(batch, time) bool: positions holding something other than padding (id 0 / a zero
        one-hot row)."""
        rows = np.asarray(rows)
        return rows.any(axis=-1) if self.embedding is None else rows != 0

    def output(self, v: np.ndarray, mask) -> np.ndarray:
        """The model's output (batch, units) for vectors v: the body in inference mode."""
        return body_forward(self.body, self.body.layers, v, mask)


def _no_word_vectors(model, first: list) -> str:
    """Why ``model`` gives no word its own input vector: what reads its input instead."""
    what = ", ".join(f"{type(layer).__name__} {layer.name!r}" for layer in first) or "nothing"
    several = " (an Embedding must be the only layer reading the ids)" if len(first) > 1 else ""
    return (f"model {model.name!r} reads its input with {what}{several}; explanations need an "
            f"Embedding (or one-hot rows) in front of the other layers, to give each word its "
            f"own input vector")


def body_forward(body: Graph, units, v: np.ndarray, mask) -> np.ndarray:
    """The body's output for v, each unit's plain ``forward`` in inference mode, nothing kept;
    the Embedding's mask enters with v and flows as the graph walk passes masks."""
    (out,), _ = run_graph(body, units, [v], lambda layer, x, m: (
        layer.forward(x, training=False, mask=m), None), [mask])
    return out


def class_column(out, target: int):
    """f_c from the model's output (batch, units): NumPy arrays and torch tensors alike."""
    if out.shape[1] == 1:
        return out[:, 0] if target == 1 else 1.0 - out[:, 0]
    return out[:, target]


def class_count(model_input: ModelInput) -> int:
    """Classes of the output: a single sigmoid unit is two."""
    units = getattr(model_input.body.output_layer, "units", None)
    return 2 if units == 1 else int(units or 0)


def check_target(target, n_classes: int) -> int:
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) \
            or not 0 <= target < n_classes:
        raise ExplainError(f"target {target!r} is not a class id of this model; give one in "
                           f"0..{n_classes - 1}")
    return int(target)


def class_score(model_input: ModelInput, target: int, engine: str = "numpy"):
    """f_c and ∂f_c/∂v on ``engine`` ("numpy" or "torch")."""
    if engine == "numpy":
        return NumpyClassScore(model_input.body, target)
    if engine == "torch":
        return TorchClassScore(model_input.body, target)
    raise ExplainError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")


class NumpyClassScore:
    """f_c(v) and ∂f_c/∂v with the layers' own forward_train and backward (hand-written BPTT),
    walked over the body graph as the NumPy engine's train step walks a model's."""

    def __init__(self, body: Graph, target: int):
        self.body = body
        self.units = [full_bptt(layer) for layer in body.layers]
        self.target = target

    def values(self, v: np.ndarray, mask) -> np.ndarray:
        """f_c (batch,), inference mode, nothing kept."""
        out = body_forward(self.body, self.units, v, mask)
        return np.asarray(class_column(out, self.target), np.float64)

    def gradient(self, v: np.ndarray, mask) -> tuple[np.ndarray, np.ndarray]:
        """(f_c (batch,), ∂f_c/∂v (batch, time, features)): each row's own gradient, since
        rows do not interact and dy is one row of ∂f_c/∂y per row. Where several layers read
        one tensor (v itself, or a branch point), the walk sums their gradients (chain rule)."""
        (out,), caches = run_graph(self.body, self.units, [v], lambda layer, x, m: (
            layer.forward_train(x, training=False, mask=m)), [mask])
        (d,), _ = backward_graph(self.body, self.units, caches, [self._seed(out)])
        return np.asarray(class_column(out, self.target), np.float64), d

    def _seed(self, out: np.ndarray) -> np.ndarray:
        """dy = ∂f_c/∂y: +1 at column c (softmax), or ±1 on a sigmoid unit (f_0 = 1 − p)."""
        d = np.zeros_like(out)
        if out.shape[1] == 1:
            d[:, 0] = 1.0 if self.target == 1 else -1.0
        else:
            d[:, self.target] = 1.0
        return d


class TorchClassScore:
    """f_c(v) and ∂f_c/∂v with the torch engine's graph network over the body (eval mode) and
    autograd."""

    def __init__(self, body: Graph, target: int):
        from ..engines.torch_engine import CudnnOffNotice, TorchNetwork, import_torch
        self.torch = import_torch()
        self._notice = CudnnOffNotice
        with self._quiet():
            self.net = TorchNetwork(body).eval()   # CPU: parameters share the arrays
        self.target = target

    @contextmanager
    def _quiet(self):
        """Which loop torch runs (fused or scripted) changes nothing here: no notice."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", self._notice)
            yield

    def _run(self, v, mask):
        torch = self.torch
        m = None if mask is None else torch.from_numpy(np.ascontiguousarray(mask, bool))
        with self._quiet():
            out = self.net(v, mask=m)
        return class_column(out, self.target)

    def values(self, v: np.ndarray, mask) -> np.ndarray:
        with self.torch.no_grad():
            f = self._run(self.torch.from_numpy(np.ascontiguousarray(v)), mask)
        return f.double().numpy()

    def gradient(self, v: np.ndarray, mask) -> tuple[np.ndarray, np.ndarray]:
        v_t = self.torch.from_numpy(np.array(v)).requires_grad_(True)
        f = self._run(v_t, mask)
        (g,) = self.torch.autograd.grad(f.sum(), v_t)    # rows are independent: Σ keeps each
        return f.detach().double().numpy(), g.numpy()


def full_bptt(layer):
    """``layer``, or a copy of it with full BPTT when it truncates (``bptt_truncate``).

    Truncation is a training device; an explanation needs the gradient of the function the
    model computes, which the torch engine's inference pass differentiates in full."""
    config = layer.get_config()
    full = _without_truncation(config)
    if full == config:
        return layer
    copy = type(layer).from_config(full)
    copy.build(layer.input_shape)
    copy.set_weights(layer.get_weights())
    return copy


def _without_truncation(config):
    if isinstance(config, dict):
        return {k: _without_truncation(v) for k, v in config.items() if k != "bptt_truncate"}
    return config
