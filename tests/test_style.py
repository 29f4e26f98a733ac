"""The project's own style gates, so CI enforces what CONVENTIONS.md asks for."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        [
            "mypy",
            "registry",
            "registry_project",
            "manage.py",
            "tests",
            "bench",
            "eureka_compat",
            "catalogs",
            "metrics",
            "dashboard",
            "registry_client",
            "replication",
        ],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_style_gate_passes(command):
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- import cycles ------------------------------------------------------------------

#: The apps whose modules may not import each other in a circle.
CYCLE_CHECKED = ("registry", "eureka_compat", "catalogs", "replication")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in CYCLE_CHECKED:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported_names(tree: ast.Module, name: str, is_package: bool) -> Iterator[str]:
    """Every dotted name an ``import`` or ``from ... import`` may load when it runs:
    top level or in a function; not under ``if TYPE_CHECKING:`` (never run)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the checked apps it imports.

    Importing ``a.b.c`` runs ``a`` and ``a.b`` first, so they count, except the
    importer's own packages (a module never waits for its own package).
    """
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets: set[str] = set()
        for imported in _imported_names(tree, name, path.name == "__init__.py"):
            parts = imported.split(".")
            for end in range(1, len(parts) + 1):
                target = ".".join(parts[:end])
                if target in modules and not (name + ".").startswith(target + "."):
                    targets.add(target)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    """No module of the apps imports itself back through others, not even through
    an import deferred into a function."""
    assert _cycles(_import_graph()) == []


#: Which parts of the code each part may import (ARCHITECTURE.md, "Layout"): the
#: two APIs meet only in the store and the shared HTTP layer; apps plug in at the
#: store seam.
FORBIDDEN_IMPORTS = {
    "registry.store": (
        "registry.api",
        "registry.http",
        "eureka_compat",
        "catalogs",
        "replication",
    ),
    "catalogs": ("registry.api", "registry.http", "replication"),
    "registry.http": ("registry.api", "eureka_compat", "replication"),
    "registry.api": ("eureka_compat", "replication"),
    "eureka_compat": ("registry.api", "replication"),
    # Replication plugs in at the store seam: it knows neither API nor HTTP layer.
    "replication": ("registry.api", "registry.http", "eureka_compat", "catalogs"),
}


def test_apis_meet_only_in_the_shared_layers():
    imports = [
        (module, target)
        for module, targets in _import_graph().items()
        for target in targets
        for part, forbidden in FORBIDDEN_IMPORTS.items()
        if (module + ".").startswith(part + ".")
        and any((target + ".").startswith(f"{name}.") for name in forbidden)
    ]
    assert imports == []
