"""``import rnnkit`` has no import cycle: the package's module-level imports form a DAG.

A cycle (layers → kernels → layers was one) makes import order matter and made numba
mandatory; this walks every module's top-level ``import``/``from … import`` statements (not
those inside functions, which are the deliberate lazy imports) and fails naming each cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rnnkit

ROOT = Path(rnnkit.__file__).resolve().parent


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for file in ROOT.rglob("*.py"):
        parts = ["rnnkit", *file.relative_to(ROOT).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (file, is_package)
    return out


def _top_level_imports(statements):
    """Import statements run at import time: top level, and inside top-level if/try blocks
    (except ``if TYPE_CHECKING:``)."""
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                yield from _top_level_imports(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            handlers = [s for h in node.handlers for s in h.body]
            yield from _top_level_imports(node.body + handlers + node.orelse + node.finalbody)


def _targets(module: str, is_package: bool, node, modules) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return {f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target
            for a in node.names}


def import_graph() -> dict[str, set[str]]:
    """module → the rnnkit modules (and their parent packages) it imports at import time."""
    modules = _modules()
    graph = {}
    for module, (file, is_package) in modules.items():
        edges = set()
        for node in _top_level_imports(ast.parse(file.read_text(encoding="utf-8")).body):
            for target in _targets(module, is_package, node, modules):
                parts = target.split(".")
                # importing a.b.c runs a/__init__ and a/b/__init__ first
                edges |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        graph[module] = {t for t in edges if t in modules and t != module
                         and not module.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_walker_finds_a_cycle_when_there_is_one():
    graph = import_graph()
    graph["rnnkit.kernels.dispatch"] = graph["rnnkit.kernels.dispatch"] | {"rnnkit.layers.cells"}
    assert any("rnnkit.layers.cells" in c and "rnnkit.kernels.dispatch" in c
               for c in cycles(graph))
    assert "rnnkit.kernels.dispatch" in import_graph()["rnnkit.layers.cells"]
