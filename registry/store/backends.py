"""Where a process keeps its catalogs: in memory, or in Redis.

A backend makes each namespace's :class:`Catalog`, sweeps expired instances
everywhere it is responsible for, and reports its health for ``/uptime``.
"""

from __future__ import annotations

from typing import Any, Protocol

from registry.store.base import Catalog
from registry.store.catalog_map import CatalogMap
from registry.store.clock import Clock
from registry.store.errors import StoreUnavailableError
from registry.store.memory import InMemoryCatalog
from registry.store.redis_store import (
    NAMESPACES_KEY,
    RedisCatalog,
    RedisScripts,
    translated_errors,
)


class StoreBackend(Protocol):
    def new_catalog(self, namespace: str) -> Catalog:
        """A catalog for ``namespace`` (called once per namespace and process)."""
        ...

    def expire_all(self, catalogs: CatalogMap) -> int:
        """Sweep expired instances; ``catalogs`` are this process's namespaces."""
        ...

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the store answers, with properties for the health report."""
        ...


class MemoryBackend:
    """Catalogs in this process's memory."""

    def __init__(self, clock: Clock, capacity: int) -> None:
        self._clock = clock
        self._capacity = capacity

    def new_catalog(self, namespace: str) -> Catalog:
        return InMemoryCatalog(self._clock, self._capacity)

    def expire_all(self, catalogs: CatalogMap) -> int:
        return catalogs.expire_all()

    def health(self) -> tuple[bool, dict[str, Any]]:
        return True, {"store": "inmem"}


class RedisBackend:
    """Catalogs in Redis, shared by every registry process that uses it."""

    def __init__(self, client: Any, clock: Clock, capacity: int, address: str) -> None:
        self._client = client
        self._scripts = RedisScripts(client)
        self._clock = clock
        self._capacity = capacity
        self._address = address

    def new_catalog(self, namespace: str) -> Catalog:
        return RedisCatalog(
            self._client, self._scripts, namespace, self._clock, self._capacity
        )

    def expire_all(self, catalogs: CatalogMap) -> int:
        # Every namespace, not only this process's: a process that served the
        # heartbeats may be gone.
        with translated_errors():
            namespaces = self._client.smembers(NAMESPACES_KEY)
        return sum(
            RedisCatalog(
                self._client, self._scripts, name.decode(), self._clock, announce=False
            ).expire()
            for name in namespaces
        )

    def health(self) -> tuple[bool, dict[str, Any]]:
        properties: dict[str, Any] = {"store": "redis", "address": self._address}
        try:
            with translated_errors():
                self._client.ping()
        except StoreUnavailableError as err:
            properties["message"] = f"Redis unreachable: {err}"
            return False, properties
        return True, properties
