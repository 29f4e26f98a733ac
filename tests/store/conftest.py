"""Every Catalog implementation runs the same contract suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from registry.store.base import Catalog
from registry.store.clock import ManualClock
from registry.store.memory import InMemoryCatalog
from registry.store.redis_store import RedisCatalog, RedisScripts

CatalogFactory = Callable[..., Catalog]


@pytest.fixture(params=["memory", "redis"])
def make_catalog(request: pytest.FixtureRequest, clock: ManualClock) -> CatalogFactory:
    """Build a catalog of the parametrised backend: ``make_catalog(capacity=-1)``."""
    if request.param == "memory":
        return lambda capacity=-1: InMemoryCatalog(clock, capacity)
    server = request.getfixturevalue("redis_server")
    client = server.client()
    client.flushall()
    scripts = RedisScripts(client)
    return lambda capacity=-1: RedisCatalog(client, scripts, "test-ns", clock, capacity)


@pytest.fixture
def catalog(make_catalog: CatalogFactory) -> Catalog:
    return make_catalog()
