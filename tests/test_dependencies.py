"""pyproject.toml declares every package the code imports and nothing it does not use;
constraints.txt pins every declared package (and only third-party ones)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The project's own packages (pyproject.toml's packages.find).
PACKAGES = [
    "registry",
    "registry_project",
    "eureka_compat",
    "catalogs",
    "metrics",
    "dashboard",
    "registry_client",
    "replication",
]
RUNTIME_CODE = [*PACKAGES, "manage.py"]
TEST_CODE = ["tests", "bench"]
#: Declared packages used as a command, plugin or type stubs rather than imported.
TOOLS = {
    "pytest-django": "pytest plugin (DJANGO_SETTINGS_MODULE in pyproject.toml)",
    "pytest-xdist": "scripts/test runs pytest -n",
    "ruff": "tests/test_style.py",
    "mypy": "tests/test_style.py",
    "django-stubs": "mypy plugin",
    "djangorestframework-stubs": "mypy plugin",
    "types-requests": "stubs for mypy",
    "uvloop": "granian loads it by name (loop=Loops.uvloop, granian_server.py)",
    "hiredis": "redis-py imports it when installed, for its reply parser",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {normalise(re.split(r"[\[<>=!~; ]", r)[0]) for r in requirements}

    test = names(project["optional-dependencies"]["test"])
    return names(project["dependencies"]), test


def python_files(paths: list[str]) -> list[Path]:
    files = []
    for name in paths:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def imported_distributions(paths: list[str]) -> set[frozenset[str]]:
    """For every third-party module imported under ``paths``, its distributions."""
    files = python_files(paths)
    local = {*PACKAGES, "tests", "bench"}
    local |= {file.stem for file in files}  # bench's scripts import their siblings
    modules = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - local - set(sys.stdlib_module_names)
    providers = packages_distributions()
    missing = {module for module in third_party if module not in providers}
    assert not missing, f"imported but not installed: {missing}"
    return {
        frozenset(normalise(name) for name in providers[module])
        for module in third_party
    }


def undeclared(groups: set[frozenset[str]], allowed: set[str]) -> set[frozenset[str]]:
    """Imported modules none of whose distributions is declared.

    A module may come from several distributions (``lightkube`` is shared by
    lightkube and lightkube-models): declaring any one of them is enough.
    """
    return {group for group in groups if not group & allowed}


def test_runtime_code_imports_only_runtime_dependencies():
    runtime, _ = declared()
    assert undeclared(imported_distributions(RUNTIME_CODE), runtime) == set()


def test_tests_and_bench_import_only_declared_packages():
    runtime, test = declared()
    assert undeclared(imported_distributions(TEST_CODE), runtime | test) == set()


def test_every_declared_package_is_used():
    runtime, test = declared()
    imported = imported_distributions(RUNTIME_CODE + TEST_CODE)
    used = set().union(*imported) | set(TOOLS)
    assert (runtime | test) - used == set()


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, equals, version = line.partition("==")
        assert equals, f"not pinned with ==: {line}"
        assert version, f"not pinned with ==: {line}"
        pins[normalise(name)] = version
    return pins


def test_constraints_pin_every_declared_package_but_not_the_project():
    runtime, test = declared()
    pins = constraints()
    assert (runtime | test) - set(pins) == set()
    assert "a8-registry" not in pins


@pytest.mark.parametrize(
    "path", ["scripts/test", "Dockerfile", "README.md", "docs/deployment.md"]
)
def test_every_install_uses_the_constraints(path):
    text = (ROOT / path).read_text()
    installs = [
        line
        for line in text.splitlines()
        if "pip install " in line
        and "--upgrade pip" not in line
        and "unconstrained" not in line  # scripts/lock, described
    ]
    assert installs
    assert all("-c constraints.txt" in line for line in installs), installs
