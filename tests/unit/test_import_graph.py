"""Imports only point downwards: no module of the server or the client imports, even only for
type checking, a module that imports it back (DESIGN.md §5)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = {"refstack_lite": REPO / "refstack_lite", "refstack_lite_client": REPO / "client" / "refstack_lite_client"}


def _module_name(package: str, root: Path, path: Path) -> str:
    parts = [package, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, modules: set[str]) -> set[str]:
    """The project modules a module names in any import statement, ``TYPE_CHECKING`` blocks included."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from package import module`` names a module; ``from module import name`` the module itself
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    sources = {
        _module_name(package, root, path): path for package, root in PACKAGES.items() for path in root.rglob("*.py")
    }
    modules = set(sources)
    return {name: _imports(ast.parse(path.read_text(), str(path)), modules) - {name} for name, path in sources.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(import_graph()) == []


def test_the_check_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("command_module", ["import_command", "run_command", "status_command", "submit_command"])
def test_the_client_commands_take_their_context_from_below_the_command_line(command_module: str) -> None:
    """The client's command modules once imported ``State`` from ``cli``, which imports them."""
    graph = import_graph()
    assert "refstack_lite_client.cli" not in graph[f"refstack_lite_client.{command_module}"]
    assert "refstack_lite_client.cli_state" in graph[f"refstack_lite_client.{command_module}"]
