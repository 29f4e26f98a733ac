"""End-to-end fixtures: one registry process per configuration, for the session.

Tests isolate their data with unique service names, or with a namespace of their own
on the ``trusted`` servers (see ``support.py`` for the server helper).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
import requests

from tests.e2e.support import (
    JWT_SECRET,
    SHORT_DEFAULT_TTL,
    SHORT_MAX_TTL,
    SHORT_MIN_TTL,
    RegistryServer,
    client_session,
)


@pytest.fixture(scope="session")
def start_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """Factory: ``start_server(flags, env)``; every server is stopped at session end."""
    started: list[RegistryServer] = []

    def start(
        flags: Sequence[str] = (), env: Mapping[str, str] | None = None
    ) -> RegistryServer:
        log_dir = tmp_path_factory.mktemp("registry")
        server = RegistryServer(log_dir / "registry.log", flags, env)
        server.start()  # a server that fails to start is reported (and killed) here
        started.append(server)
        return server

    yield start
    # SIGTERM every server first, then wait for each: they shut down in parallel.
    for server in started:
        server.send_sigterm()
    failures = []
    for server in started:
        try:
            server.stop()
        except (AssertionError, pytest.fail.Exception) as err:  # stop the others too
            failures.append(str(err))
        finally:
            server.cleanup()
    assert not failures, failures


@pytest.fixture(scope="session")
def default_server(start_server: Any) -> RegistryServer:
    """No auth mode: everything lives in namespace ``default``."""
    server: RegistryServer = start_server()
    return server


@pytest.fixture(scope="session")
def trusted_server(start_server: Any) -> RegistryServer:
    server: RegistryServer = start_server(["--auth_mode", "trusted"])
    return server


@pytest.fixture(scope="session")
def jwt_server(start_server: Any) -> RegistryServer:
    server: RegistryServer = start_server(
        ["--auth_mode", "jwt", "--jwt_secret", JWT_SECRET]
    )
    return server


@pytest.fixture(scope="session")
def jwt_trusted_server(start_server: Any) -> RegistryServer:
    server: RegistryServer = start_server(
        ["--auth_mode", "jwt,trusted", "--jwt_secret", JWT_SECRET]
    )
    return server


@pytest.fixture(scope="session")
def https_server(start_server: Any) -> RegistryServer:
    server: RegistryServer = start_server(["--require_https"])
    return server


@pytest.fixture(scope="session")
def capacity_server(start_server: Any) -> RegistryServer:
    """Two instances per namespace; trusted so each test has its own namespaces."""
    server: RegistryServer = start_server(
        ["--namespace_capacity", "2", "--auth_mode", "trusted"]
    )
    return server


@pytest.fixture(scope="session")
def short_ttl_server(start_server: Any) -> RegistryServer:
    """TTLs of seconds, for expiry tests (``ttl: 1`` expires after one second)."""
    server: RegistryServer = start_server(
        [
            "--min_ttl",
            f"{SHORT_MIN_TTL}s",
            "--default_ttl",
            f"{SHORT_DEFAULT_TTL}s",
            "--max_ttl",
            f"{SHORT_MAX_TTL}s",
        ]
    )
    return server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A keep-alive session whose connections are closed after the test."""
    with client_session() as session:
        yield session


@pytest.fixture
def namespace() -> str:
    """A namespace name no other test uses."""
    return f"ns-{uuid.uuid4().hex[:12]}"
