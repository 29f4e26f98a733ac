"""The process's one runtime object: configuration, namespaces, caches, background work.

Nothing here starts at import time. The server starts the background work after the
worker process exists (``registry_project/gunicorn.conf.py``); tests install a runtime
of their own with a manual clock and drive expiry themselves.
"""

from __future__ import annotations

import logging
import os
import threading

from registry.api.cache import ResponseCache
from registry.config import RegistryConfig, config_from_environ
from registry.resolvers import Resolver, build_resolver
from registry.store.catalog_map import CatalogMap
from registry.store.clock import Clock, SystemClock
from registry.store.memory import InMemoryCatalog

logger = logging.getLogger(__name__)

#: How often expired instances are swept. Instances go within this long (plus the
#: sweep itself) after ``last_heartbeat + ttl``; the target is under one second.
SWEEP_INTERVAL_SECONDS = 0.2


class RegistryRuntime:
    """Everything one registry process holds."""

    def __init__(self, config: RegistryConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.started_ns = self.clock.now_ns()
        self.resolver: Resolver = build_resolver(
            config.auth_mode, config.jwt_secret, self.clock
        )
        self.catalogs = CatalogMap(self._new_catalog)
        self.responses = ResponseCache()
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    def _new_catalog(self, namespace: str) -> InMemoryCatalog:
        return InMemoryCatalog(self.clock, self.config.namespace_capacity)

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
                expired = self.catalogs.expire_all()
            except Exception:  # the sweep must outlive one bad pass
                logger.exception("expiry sweep failed")
                continue
            if expired:
                logger.debug("expired %d instances", expired)


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
