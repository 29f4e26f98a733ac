"""Shared fixtures: a fresh registry runtime per test, with a clock tests move."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime, install_runtime
from registry.store.clock import ManualClock
from tests.support.redis_server import RedisServer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_runtime(clock: ManualClock) -> Iterator[Callable[..., RegistryRuntime]]:
    """Install a runtime configured with ``RegistryConfig`` overrides."""
    previous = install_runtime(None)

    def make(**overrides: Any) -> RegistryRuntime:
        config = dataclasses.replace(RegistryConfig(), **overrides)
        runtime = RegistryRuntime(config, clock)
        install_runtime(runtime)
        return runtime

    yield make
    install_runtime(previous)


@pytest.fixture
def runtime(make_runtime: Callable[..., RegistryRuntime]) -> RegistryRuntime:
    """The default runtime: no auth mode, in memory, default TTLs."""
    return make_runtime()


@pytest.fixture
def client(runtime: RegistryRuntime) -> Client:
    return Client()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the session; tests flush what they need."""
    server = RedisServer().start()
    yield server
    server.stop()
