"""The shape of the house: no import loops anywhere in bvflow, and a kernel that imports no
feature (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "bvflow"
FEATURES = {"appraisal", "performance", "plan", "involvement", "evidence", "reviews",
            "corrections", "reports", "notices", "delivery", "outbox", "watchers", "history"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _imports(path: Path) -> set[str]:
    """Every bvflow module ``path`` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                found.add(whole if whole in MODULES else node.module)
    return {name for name in found if name in MODULES and name != "bvflow"}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _loops() -> list[list[str]]:
    loops: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for other in sorted(GRAPH[name]):
            if state.get(other) == "open":
                loops.append([*stack[stack.index(other):], other])
            elif other not in state:
                visit(other)
        state[name] = "done"
        stack.pop()

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    return loops


def test_there_are_no_import_loops() -> None:
    assert _loops() == []


def test_the_kernel_imports_no_feature() -> None:
    imported = GRAPH["bvflow.services.app"]
    assert not {f"bvflow.services.{f}" for f in FEATURES} & imported
