"""A small builder over ``onnx.helper``: nodes, weights and names, for the layer exporters.

Every value is a name in the graph; ``op`` adds one node and returns its output name(s), and
``weight`` adds a float32 (or int) initializer. Names are the layer's name plus a counter, so a
graph printed with ``onnx.helper.printable_graph`` reads layer by layer.
"""

from __future__ import annotations

import numpy as np

from .errors import import_onnx


class GraphBuilder:
    """Collects the nodes and initializers of one graph in the order the exporters add them."""

    def __init__(self):
        self.onnx = import_onnx()
        self.nodes: list = []
        self.initializers: list = []
        self._used: dict[str, int] = {}
        self._ints: dict[tuple, str] = {}

    def name(self, hint: str) -> str:
        """A fresh name starting with ``hint``."""
        n = self._used.get(hint, 0)
        self._used[hint] = n + 1
        return hint if n == 0 else f"{hint}_{n}"

    def weight(self, array, hint: str) -> str:
        """An initializer holding ``array`` (floats are stored as float32, the graph's type)."""
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array.copy(order="C"),
                                                                   name))
        return name

    def op(self, op_type: str, inputs, hint: str, outputs: int = 1, **attrs):
        """Add one ``op_type`` node; its output name, or a tuple of ``outputs`` names.

        ``outputs`` is a count, or one bool per output: an output marked False is left
        unnamed (""), so the runtime need not compute it (a sequence nobody reads)."""
        wanted = (True,) * outputs if isinstance(outputs, int) else tuple(outputs)
        names = [self.name(f"{hint}/{op_type}") if want else "" for want in wanted]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names,
                                                     name=self.name(f"{hint}/{op_type}_node"),
                                                     **attrs))
        return names[0] if len(names) == 1 else tuple(names)

    def cast(self, x: str, to: str, hint: str) -> str:
        """x cast to the ONNX element type named ``to`` ("FLOAT", "INT32", "INT64")."""
        return self.op("Cast", [x], hint, to=getattr(self.onnx.TensorProto, to))

    def ints(self, values, scalar: bool = False) -> str:
        """A constant int64 vector (axes, pads, indices), or a scalar; each value stored once."""
        key = (tuple(np.ravel(values).tolist()), scalar)
        if key not in self._ints:
            array = np.asarray(values, dtype=np.int64)
            self._ints[key] = self.weight(array.reshape(()) if scalar else array.ravel(),
                                          "const")
        return self._ints[key]

    def model(self, graph_name: str, inputs, outputs, opset: int, doc: str = ""):
        """The ``ModelProto``: ``inputs``/``outputs`` are ``make_tensor_value_info`` results."""
        helper = self.onnx.helper
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.initializers)
        opsets = [helper.make_opsetid("", opset)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="rnnkit",
                                  doc_string=doc)
        # The oldest IR version that carries this opset, not the installed onnx's newest: a
        # runtime older than the onnx package that wrote the file can still read it.
        model.ir_version = helper.find_min_ir_version_for(opsets)
        return model
