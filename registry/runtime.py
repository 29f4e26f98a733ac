"""The process's one runtime object: configuration, namespaces, caches, background work.

Nothing here starts at import time. The server starts the background work after the
worker process exists (``registry_project/gunicorn.conf.py``); tests install a runtime
of their own with a manual clock and drive expiry themselves.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar, cast

from registry.config import RegistryConfig, config_from_environ
from registry.http.cache import ResponseCache
from registry.http.fragments import ElementCache
from registry.resolvers import Resolver, build_resolver
from registry.store.backends import MemoryBackend, RedisBackend, StoreBackend
from registry.store.catalog_map import CatalogMap
from registry.store.clock import Clock, SystemClock
from registry.store.errors import StoreUnavailableError

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: How often expired instances are swept. Instances go within this long (plus the
#: sweep itself) after ``last_heartbeat + ttl``; the target is under one second.
SWEEP_INTERVAL_SECONDS = 0.2


class RegistryRuntime:
    """Everything one registry process holds."""

    def __init__(
        self,
        config: RegistryConfig,
        clock: Clock | None = None,
        backend: StoreBackend | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.started_ns = self.clock.now_ns()
        self.resolver: Resolver = build_resolver(
            config.auth_mode, config.jwt_secret, self.clock
        )
        self.store = backend or _backend_for(config, self.clock)
        self.catalogs = CatalogMap(self.store.new_catalog)
        self.responses = ResponseCache()
        self.fragments = ElementCache()
        self._components: dict[str, object] = {}
        self._components_lock = threading.Lock()
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def component(self, name: str, factory: Callable[[], T]) -> T:
        """A per-process object of an app (a cache, say), made on first use.

        Lets apps such as the Eureka API keep state in the runtime without the
        core knowing them.
        """
        with self._components_lock:
            if name not in self._components:
                self._components[name] = factory()
            return cast(T, self._components[name])

    def start(self) -> None:
        """Start the background work (the expiry sweep). Idempotent."""
        if self._sweeper is not None:
            return
        self._stop.clear()
        self._sweeper = threading.Thread(
            target=self._sweep_forever, name="registry-expiry", daemon=True
        )
        self._sweeper.start()

    def stop(self) -> None:
        """Stop the background work and wait for it."""
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
            self._sweeper = None

    def _sweep_forever(self) -> None:
        while not self._stop.wait(SWEEP_INTERVAL_SECONDS):
            try:
                expired = self.store.expire_all(self.catalogs)
            except StoreUnavailableError as err:
                logger.warning("expiry sweep skipped: store unavailable: %s", err)
                continue
            except Exception:  # the sweep must outlive one bad pass
                logger.exception("expiry sweep failed")
                continue
            if expired:
                logger.debug("expired %d instances", expired)


def _backend_for(config: RegistryConfig, clock: Clock) -> StoreBackend:
    if config.store == "redis":
        from registry.store.redis_connection import connect

        address = config.store_address or ",".join(config.store_sentinels)
        return RedisBackend(connect(config), clock, config.namespace_capacity, address)
    return MemoryBackend(clock, config.namespace_capacity)


_runtime: RegistryRuntime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> RegistryRuntime:
    """The installed runtime, built from the ``A8_*`` environment on first use."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = RegistryRuntime(config_from_environ(os.environ))
    return _runtime


def install_runtime(runtime: RegistryRuntime | None) -> RegistryRuntime | None:
    """Replace the runtime (tests, server start-up); return the previous one."""
    global _runtime
    with _runtime_lock:
        previous, _runtime = _runtime, runtime
    return previous
