"""Where a process keeps its catalogs: in memory, or in Redis.

A backend makes each namespace's :class:`Catalog`, names the namespaces that this
process's expiry sweep covers, and reports its health for ``/uptime``. The
configured ``store`` picks one from :data:`STORE_BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from registry.config import RegistryConfig
from registry.services import PeriodicService
from registry.store.base import Catalog
from registry.store.catalog_map import CatalogMap
from registry.store.circuit import PROBE_INTERVAL_SECONDS, StoreCircuit
from registry.store.clock import Clock
from registry.store.memory import InMemoryCatalog
from registry.store.redis_store import (
    NAMESPACES_KEY,
    UNAVAILABLE,
    RedisCatalog,
    RedisScripts,
)
from registry.store.rules import NO_RULES, RegistrationRules

if TYPE_CHECKING:
    from registry.plugins import BackgroundService


class StoreBackend(Protocol):
    def new_catalog(
        self, namespace: str, rules: RegistrationRules = NO_RULES
    ) -> Catalog:
        """A catalog for ``namespace`` (called once per namespace and process)."""
        ...

    def namespaces_to_sweep(self, catalogs: CatalogMap) -> Iterable[str]:
        """The namespaces whose expired instances this process removes;
        ``catalogs`` holds this process's namespaces."""
        ...

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the store answers, with properties for the health report."""
        ...

    def services(self) -> Sequence[BackgroundService]:
        """Background services the backend needs (started with the runtime's)."""
        ...


class MemoryBackend:
    """Catalogs in this process's memory."""

    def __init__(self, clock: Clock, capacity: int) -> None:
        self._clock = clock
        self._capacity = capacity

    @classmethod
    def from_config(cls, config: RegistryConfig, clock: Clock) -> MemoryBackend:
        return cls(clock, config.namespace_capacity)

    def new_catalog(
        self, namespace: str, rules: RegistrationRules = NO_RULES
    ) -> Catalog:
        return InMemoryCatalog(self._clock, self._capacity, rules=rules)

    def namespaces_to_sweep(self, catalogs: CatalogMap) -> Iterable[str]:
        return catalogs.names()

    def health(self) -> tuple[bool, dict[str, Any]]:
        return True, {"store": "inmem"}

    def services(self) -> Sequence[BackgroundService]:
        return ()


class RedisBackend:
    """Catalogs in Redis, shared by every registry process that uses it."""

    def __init__(
        self,
        client: Any,
        clock: Clock,
        capacity: int,
        address: str,
        circuit: StoreCircuit | None = None,
    ) -> None:
        self._client = client
        self._circuit = circuit or StoreCircuit(UNAVAILABLE, client.ping)
        self._scripts = RedisScripts(client)
        self._clock = clock
        self._capacity = capacity
        self._address = address

    @classmethod
    def from_config(cls, config: RegistryConfig, clock: Clock) -> RedisBackend:
        from registry.store import redis_connection

        address = config.store_address or ",".join(config.store_sentinels)
        circuit = StoreCircuit(UNAVAILABLE)
        client = redis_connection.connect(config, circuit)
        circuit.attach(
            ping=redis_connection.QuickPing(client),
            on_trip=lambda: redis_connection.drop_connections(client),
        )
        return cls(client, clock, config.namespace_capacity, address, circuit)

    def new_catalog(
        self, namespace: str, rules: RegistrationRules = NO_RULES
    ) -> Catalog:
        return RedisCatalog(
            self._client,
            self._scripts,
            namespace,
            self._clock,
            self._capacity,
            rules=rules,
            circuit=self._circuit,
        )

    def namespaces_to_sweep(self, catalogs: CatalogMap) -> Iterable[str]:
        # Every namespace, not only this process's: a process that served the
        # heartbeats may be gone.
        with self._circuit.guard():
            names = self._client.smembers(NAMESPACES_KEY)
        return sorted(name.decode() for name in names)

    def health(self) -> tuple[bool, dict[str, Any]]:
        properties: dict[str, Any] = {"store": "redis", "address": self._address}
        self._circuit.probe()  # one ping: opens or closes the circuit
        if self._circuit.is_open:
            properties["message"] = f"Redis unreachable: {self._circuit.reason}"
            return False, properties
        return True, properties

    def services(self) -> Sequence[BackgroundService]:
        return [
            PeriodicService("store-probe", PROBE_INTERVAL_SECONDS, self._circuit.probe)
        ]


#: ``store`` setting -> how to build its backend.
STORE_BACKENDS: dict[str, Callable[[RegistryConfig, Clock], StoreBackend]] = {
    "inmem": MemoryBackend.from_config,
    "redis": RedisBackend.from_config,
}


def backend_for(config: RegistryConfig, clock: Clock) -> StoreBackend:
    """The backend the configuration names."""
    return STORE_BACKENDS[config.store](config, clock)
