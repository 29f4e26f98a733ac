"""Every Catalog implementation runs the same contract suite, directly and
through :class:`ForwardingCatalog` (the base every plug-in wrapper builds on)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from registry.store.base import Catalog, ForwardingCatalog
from registry.store.clock import ManualClock
from registry.store.memory import InMemoryCatalog
from registry.store.redis_store import RedisCatalog, RedisScripts
from registry.store.rules import NO_RULES, RegistrationRules

CatalogFactory = Callable[..., Catalog]


@pytest.fixture(params=["memory", "redis", "memory-forwarded", "redis-forwarded"])
def make_catalog(request: pytest.FixtureRequest, clock: ManualClock) -> CatalogFactory:
    """Build a catalog of the parametrised backend:
    ``make_catalog(capacity=-1, rules=NO_RULES)``."""
    backend, _, forwarded = request.param.partition("-")
    wrap: Callable[[Catalog], Catalog] = ForwardingCatalog if forwarded else _same
    if backend == "memory":
        return lambda capacity=-1, rules=NO_RULES: wrap(
            InMemoryCatalog(clock, capacity, rules=rules)
        )
    server = request.getfixturevalue("redis_server")
    client = server.client()
    client.flushall()
    scripts = RedisScripts(client)

    def make(capacity: int = -1, rules: RegistrationRules = NO_RULES) -> Catalog:
        return wrap(
            RedisCatalog(client, scripts, "test-ns", clock, capacity, rules=rules)
        )

    return make


def _same(catalog: Catalog) -> Catalog:
    return catalog


@pytest.fixture
def catalog(make_catalog: CatalogFactory) -> Catalog:
    return make_catalog()
