"""A model's computation as a directed acyclic graph of layer calls, in Keras's order.

``Graph`` is what the engines, the gradient check and the saving code walk. Tensors are
numbered *slots*; a ``Step`` is one layer call reading some slots and writing others. A
Sequential model is the linear special case (``Graph.chain``); a Functional model's graph is
traced back from its output tensors (``trace``) with Keras 3's algorithm (ops/function.py's
``map_graph``): nodes and layers ordered by decreasing depth (the longest path to an output),
ties by the order a depth-first walk from the outputs first meets them. That order fixes
``model.layers``, the weights' order and the numbering of the layers in a weights file, so it
must be Keras's exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .symbolic import KerasTensor, Node


class GraphError(ValueError):
    """The tensors given to ``Model(inputs, outputs)`` do not make a model."""


@dataclass(frozen=True)
class Step:
    """One layer call: ``graph.layers[unit]`` reads slots ``inputs`` (as a list when the layer
    takes several: ``multi``) and writes slots ``outputs`` (several with ``return_state``)."""

    unit: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    multi: bool = False
    node: Node | None = None


@dataclass
class Graph:
    """``layers`` (each once, in Keras's order), ``steps`` in an order that computes every
    slot before it is read, and the slots fed from outside (``inputs``) and handed back
    (``outputs``)."""

    layers: list
    steps: list[Step]
    inputs: list[int]
    outputs: list[int]
    _last_use: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for i, step in enumerate(self.steps):
            for slot in step.inputs:
                self._last_use[slot] = i

    @classmethod
    def chain(cls, layers) -> "Graph":
        """Layers applied one after another (a Sequential model): slot i → layer i → slot i+1."""
        layers = list(layers)
        steps = [Step(i, (i,), (i + 1,)) for i in range(len(layers))]
        return cls(layers, steps, [0], [len(layers)])

    @property
    def is_chain(self) -> bool:
        """Each call reads the one before it and nothing else reads that (no branch, merge,
        or second call of a layer)."""
        slots = [self.inputs[0]] if len(self.inputs) == 1 else []
        for step in self.steps:
            if step.inputs != tuple(slots[-1:]) or len(self.consumers(slots[-1])) != 1 \
                    or len(step.outputs) != 1:
                return False
            slots.append(step.outputs[0])
        return len(set(s.unit for s in self.steps)) == len(self.steps)

    def after(self, step: int) -> "Graph":
        """The graph with step ``step`` taken off its front: its outputs are the new graph's
        inputs, every other step stays (calling only the layers still used, in the same order).

        ``step`` must be the only reader of the inputs (e.g. the Embedding in front of a
        model): else the rest would still need them, and GraphError says so."""
        readers = {i for slot in self.inputs for i in self.consumers(slot)}
        if readers != {step}:
            raise GraphError(f"step {step} is not the only reader of the graph's inputs (the "
                             f"steps reading them: {sorted(readers)}); nothing can be cut off "
                             f"in front of them")
        rest = [s for i, s in enumerate(self.steps) if i != step]
        used = sorted({s.unit for s in rest})
        unit = {old: new for new, old in enumerate(used)}
        steps = [Step(unit[s.unit], s.inputs, s.outputs, s.multi, s.node) for s in rest]
        return Graph([self.layers[u] for u in used], steps, list(self.steps[step].outputs),
                     list(self.outputs))

    def replay(self, inputs: list) -> list:
        """Every call again, in order, on new symbolic ``inputs``: the same layers (so the same
        weights) make new nodes, and the returned tensors are a new model's outputs."""
        values = dict(zip(self.inputs, inputs))
        for step in self.steps:
            read = [values[s] for s in step.inputs]
            out = self.layers[step.unit](read if step.multi else read[0])
            values.update(zip(step.outputs, out if len(step.outputs) > 1 else [out]))
        return [values[s] for s in self.outputs]

    def consumers(self, slot: int) -> list[int]:
        """The steps that read ``slot``."""
        return [i for i, step in enumerate(self.steps) if slot in step.inputs]

    def producer(self, slot: int) -> int | None:
        """The step that writes ``slot`` (None for an input)."""
        return next((i for i, step in enumerate(self.steps) if slot in step.outputs), None)

    def last_use(self, slot: int) -> int:
        """The last step reading ``slot`` (−1 when none does)."""
        return self._last_use.get(slot, -1)

    def input_layers(self, position: int = 0) -> list:
        """The layers that read input number ``position`` directly."""
        return [self.layers[self.steps[i].unit] for i in self.consumers(self.inputs[position])]

    @property
    def output_layer(self):
        """The layer computing the (first) output; None when the output is an input."""
        step = self.producer(self.outputs[0])
        return None if step is None else self.layers[self.steps[step].unit]

    def fused_output_step(self, loss) -> int | None:
        """The step whose activation the loss may fuse with (dL/dz = p − y enters below it):
        the one-output graph's last Dense, when nothing else reads its output."""
        if len(self.outputs) != 1:
            return None
        step = self.producer(self.outputs[0])
        if step is None or self.consumers(self.outputs[0]) or \
                len(self.steps[step].outputs) != 1:
            return None
        return step if loss.fuses_with_layer(self.layers[self.steps[step].unit]) else None

    def needs_backward(self, trainable) -> list[bool]:
        """Per step, whether backward must run it: it, or a step below it, has weights that
        ``trainable(layer)`` says are updated (no step below the lowest such one need run)."""
        needed, by_slot = [], {}
        for step in self.steps:
            need = trainable(self.layers[step.unit]) or any(by_slot.get(s, False)
                                                            for s in step.inputs)
            needed.append(need)
            by_slot.update({s: need for s in step.outputs})
        return needed


# ---- tracing a Functional model's graph ----------------------------------------------------------
@dataclass
class Traced:
    """What ``trace`` finds: the graph, every layer (InputLayers too) in Keras's order, the
    nodes that belong to the model, and each slot's tensor."""

    graph: Graph
    operations: list
    nodes: list[Node]
    nodes_by_depth: dict[int, list[Node]]
    tensors: list[KerasTensor]


def trace(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> Traced:
    """The graph from ``inputs`` to ``outputs`` (GraphError: disconnected, unused input,
    duplicate layer names)."""
    ordered, first_seen = _depth_first(inputs, outputs)
    node_depth, layer_depth = _depths(ordered)
    read = {id(t) for node in ordered for t in node.input_tensors} | {id(t) for t in outputs}
    for t in inputs:                      # Keras keeps an unused Input at depth 0; refuse it
        if id(t) not in read:
            raise GraphError(f"input {t.name!r} is not connected to any output; remove it "
                             f"from the model's inputs or use it")
    operations = sorted(layer_depth, key=lambda op: (-layer_depth[op], first_seen[op]))
    position = {node: i for i, node in enumerate(ordered)}
    nodes = sorted(node_depth, key=lambda n: (-node_depth[n], position[n]))
    _check_names(operations)
    by_depth: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        by_depth[node_depth[node]].append(node)
    return _as_graph(inputs, outputs, nodes, operations, dict(by_depth))


def _depth_first(inputs, outputs):
    """Nodes from inputs to outputs (Keras's ``_build_map``) and each layer's first-visit
    number; a tensor among ``inputs`` ends the walk even when a layer made it."""
    input_ids = {id(t) for t in inputs}
    finished, ordered, first_seen = set(), [], {}

    def visit(tensor: KerasTensor):
        node = tensor._keras_history.node
        if node in finished:
            return
        if id(tensor) in input_ids and not node.is_input:
            finished.add(node)
            return
        if node.is_input and id(tensor) not in input_ids:
            raise GraphError(f"the outputs depend on input {tensor.name!r}, which is not among "
                             f"the model's inputs (graph disconnected)")
        first_seen.setdefault(node.layer, len(first_seen))
        if id(tensor) not in input_ids:
            for parent in node.input_tensors:
                visit(parent)
        finished.add(node)
        ordered.append(node)

    for out in outputs:
        visit(out)
    return ordered, first_seen


def _depths(ordered: list[Node]):
    """Each node's and each layer's depth: the longest path to an output (Keras's rule: a
    shared layer takes its deepest node's depth)."""
    in_graph = set(ordered)
    node_depth: dict[Node, int] = {}
    layer_depth: dict = {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = node_depth[node] = depth
        for parent in node.parent_nodes:
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    return node_depth, layer_depth


def _check_names(operations) -> None:
    names = [op.name for op in operations]
    for name in names:
        if names.count(name) > 1:
            raise GraphError(f"the name {name!r} is used {names.count(name)} times in the "
                             f"model; every layer of a model needs its own name")


def _as_graph(inputs, outputs, nodes, operations, by_depth) -> Traced:
    """Number the tensors, turn each layer call into a Step (InputLayers compute nothing)."""
    slots: dict[int, int] = {}
    tensors: list[KerasTensor] = []

    def slot(t: KerasTensor) -> int:
        if id(t) not in slots:
            slots[id(t)] = len(tensors)
            tensors.append(t)
        return slots[id(t)]

    input_slots = [slot(t) for t in inputs]
    input_ids = {id(t) for t in inputs}
    layers, steps = [], []
    for node in nodes:
        if node.is_input or any(id(t) in input_ids for t in node.outputs):
            continue
        if node.layer not in layers:
            layers.append(node.layer)
        steps.append(Step(layers.index(node.layer),
                          tuple(slot(t) for t in node.input_tensors),
                          tuple(slot(t) for t in node.outputs),
                          multi=isinstance(node.inputs, list), node=node))
    order = {layer: i for i, layer in enumerate(operations)}
    # the graph's layers in Keras's order; steps keep their computing order
    keras_order = sorted(layers, key=order.__getitem__)
    steps = [Step(keras_order.index(layers[s.unit]), s.inputs, s.outputs, s.multi, s.node)
             for s in steps]
    graph = Graph(keras_order, steps, input_slots, [slot(t) for t in outputs])
    return Traced(graph, operations, nodes, by_depth, tensors)
