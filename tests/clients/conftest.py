"""Fixtures of the real-client tests: one registry for the directory, client drivers.

The registry runs with ``--min_ttl 1s --default_ttl 30s`` so that clients may ask
for short leases. Tests isolate their data with unique application names and stop
every client they start (see ``support.py``).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.clients.support import CLIENTS_DIR, Driver
from tests.e2e.support import REPO_ROOT, RegistryServer, client_session

NODE_CLIENT = REPO_ROOT / "node_modules" / "eureka-js-client" / "package.json"


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    log_path = tmp_path_factory.mktemp("clients-registry") / "registry.log"
    server = RegistryServer(log_path, ["--min_ttl", "1s", "--default_ttl", "30s"])
    try:
        server.start()
        yield server
        server.stop()
    finally:
        server.cleanup()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with client_session() as session:
        yield session


@pytest.fixture
def start_driver(tmp_path: Path) -> Iterator[Any]:
    """Factory ``start_driver(args, name)``; every driver is ended after the test."""
    started: list[Driver] = []

    def start(args: list[str], name: str) -> Driver:
        driver = Driver(args, tmp_path / f"{name}-{len(started)}.log", name)
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.close()


@pytest.fixture
def python_driver(start_driver: Any) -> Any:
    """Factory: a py_eureka_client driver for a JSON-able config."""

    def start(config: str) -> Driver:
        script = str(CLIENTS_DIR / "py_eureka_driver.py")
        driver: Driver = start_driver([sys.executable, script, config], "py-eureka")
        return driver

    return start


@pytest.fixture
def node_driver(start_driver: Any) -> Any:
    """Factory: an eureka-js-client driver for a JSON-able config."""
    node = shutil.which("node")
    if node is None or not NODE_CLIENT.exists():
        pytest.fail(
            "eureka-js-client is not installed: run `npm ci` at the repository root "
            "(Node 20+)"
        )

    def start(config: str) -> Driver:
        script = str(CLIENTS_DIR / "eureka_js_driver.js")
        driver: Driver = start_driver([node, script, config], "eureka-js")
        return driver

    return start
