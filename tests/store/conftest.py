"""Every Catalog implementation runs the same contract suite."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from registry.store.base import Catalog
from registry.store.clock import ManualClock
from registry.store.memory import InMemoryCatalog

CatalogFactory = Callable[..., Catalog]


@pytest.fixture(params=["memory"])
def make_catalog(request: pytest.FixtureRequest, clock: ManualClock) -> CatalogFactory:
    """Build a catalog of the parametrised backend: ``make_catalog(capacity=-1)``."""

    def make(capacity: int = -1) -> Catalog:
        return InMemoryCatalog(clock, capacity)

    return make


@pytest.fixture
def catalog(make_catalog: CatalogFactory) -> Catalog:
    return make_catalog()
