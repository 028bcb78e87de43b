"""The simulator's layers import one way (API server -> node -> plugin models, all of them
-> the shared base modules) and no module imports itself back through a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "libraries" / "nrisim"
BASE = {"clock", "config", "cpulists", "latency", "quantity", "topology"}
RANKS = {"base": 0, "plugin": 1, "node": 2, "apiserver": 3, "entry": 4}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in ("plugin", "node", "apiserver"):
        return parts[1]
    if len(parts) == 2 and parts[1] in BASE:
        return "base"
    return "entry"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported nrisim module, only under TYPE_CHECKING) for every import in the file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] != "nrisim":
                continue
            # keep the longest prefix that is a module of the package
            parts = name.split(".")
            while parts and not _exists(parts):
                parts.pop()
            if parts:
                found.append((".".join(parts), id(node) in guarded))
    return found


def _exists(parts: list[str]) -> bool:
    rel = PACKAGE.parent.joinpath(*parts)
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def graph() -> dict[str, list[tuple[str, bool]]]:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer_violations(edges: dict[str, list[tuple[str, bool]]]) -> list[str]:
    bad = []
    for src, targets in edges.items():
        for dst, _ in targets:
            if dst != src and RANKS[layer(dst)] > RANKS[layer(src)]:
                bad.append(f"{src} ({layer(src)}) imports {dst} ({layer(dst)})")
    return bad


def find_cycle(edges: dict[str, list[tuple[str, bool]]]) -> list[str] | None:
    """An import cycle, counting TYPE_CHECKING-only imports too (a cycle hidden from the
    interpreter is still two modules that need each other); a package's __init__ importing
    its own children is not one."""
    runtime = {s: sorted({d for d, _ in ts if d != s and not d.startswith(s + ".")})
               for s, ts in edges.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in runtime.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in runtime:
        if state.get(start) is None:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_layers_import_one_way():
    assert layer_violations(graph()) == []


def test_no_import_cycle():
    assert find_cycle(graph()) is None


def test_checks_catch_what_they_are_for():
    """The two checks fail on a graph with an upward import and a cycle."""
    upward = {"nrisim.node.kubelet": [("nrisim.apiserver.cluster", True)], "nrisim.apiserver.cluster": []}
    assert layer_violations(upward) == ["nrisim.node.kubelet (node) imports nrisim.apiserver.cluster (apiserver)"]
    assert find_cycle(upward) is None
    # the old layout: cluster imported kubelet, kubelet imported cluster for its type hints
    mutual = {"nrisim.cluster": [("nrisim.kubelet", False)], "nrisim.kubelet": [("nrisim.cluster", True)]}
    assert find_cycle(mutual) == ["nrisim.cluster", "nrisim.kubelet", "nrisim.cluster"]


@pytest.mark.parametrize("module", ["nrisim.server", "nrisim.cli", "nrisim.apiserver.api", "nrisim.node.host",
                                    "nrisim.plugin.registry"])
def test_every_layer_imports_on_its_own(module):
    import importlib
    assert importlib.import_module(module)
