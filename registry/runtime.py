"""The process's one runtime object: configuration, namespaces, components, services.

The runtime builds each namespace's catalog from the configured store backend
(:data:`registry.store.backends.STORE_BACKENDS`) with the registration rules of the
installed apps' plug-ins, then wraps it with their wrappers (:mod:`registry.plugins`).
It owns the background services: the expiry sweep, and those the plug-ins add.

Nothing here starts at import time. The server starts the background services after
the worker process exists (``registry_project/gunicorn.conf.py``); tests install a
runtime of their own with a manual clock and drive expiry themselves.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from registry.config import RegistryConfig, config_from_environ
from registry.plugins import BackgroundService, RegistryPlugin, installed_plugins
from registry.resolvers import Resolver, build_resolver
from registry.services import SWEEP_INTERVAL_SECONDS, PeriodicService
from registry.store.backends import StoreBackend, backend_for
from registry.store.base import Catalog
from registry.store.catalog_map import CatalogMap
from registry.store.clock import Clock, SystemClock
from registry.store.rules import RegistrationRules

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RegistryRuntime:
    """Everything one registry process holds."""

    def __init__(
        self,
        config: RegistryConfig,
        clock: Clock | None = None,
        backend: StoreBackend | None = None,
        plugins: Sequence[RegistryPlugin] | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.started_ns = self.clock.now_ns()
        self.resolver: Resolver = build_resolver(
            config.auth_mode, config.jwt_secret, self.clock
        )
        self.store = backend or backend_for(config, self.clock)
        self.plugins = list(installed_plugins() if plugins is None else plugins)
        self.rules = RegistrationRules(
            [rule for plugin in self.plugins for rule in plugin.rules(self)]
        )
        self.catalogs = CatalogMap(self._new_catalog)
        self._components: dict[str, object] = {}
        self._components_lock = threading.Lock()
        self.services: list[BackgroundService] = [
            PeriodicService("registry-expiry", SWEEP_INTERVAL_SECONDS, self.expire),
            *self.store.services(),
            *(service for plugin in self.plugins for service in plugin.services(self)),
        ]
        self._started = False
        self._lifecycle_lock = threading.Lock()

    def _new_catalog(self, namespace: str) -> Catalog:
        catalog = self.store.new_catalog(namespace, self.rules)
        for plugin in self.plugins:
            catalog = plugin.wrap(namespace, catalog, self)
        return catalog

    def component(self, name: str, factory: Callable[[], T]) -> T:
        """A per-process object of an app (a cache, say), made on first use.

        Lets the HTTP layer and apps such as the Eureka API keep state (response
        caches, encoders) in the runtime without the runtime knowing them.
        """
        made = self._components.get(name)  # no lock once made (hot paths)
        if made is None:
            with self._components_lock:
                made = self._components.get(name)
                if made is None:
                    made = self._components[name] = factory()
        return cast(T, made)

    def expire(self) -> int:
        """One expiry pass over every namespace this process sweeps."""
        expired = self.catalogs.expire(self.store.namespaces_to_sweep(self.catalogs))
        if expired:
            logger.debug("expired %d instances", expired)
        return expired

    def start(self) -> None:
        """Start every background service, in order. Idempotent."""
        with self._lifecycle_lock:
            if self._started:
                return
            self._started = True
            for service in self.services:
                service.start()

    def stop(self) -> None:
        """Stop every background service, last started first, and wait for each."""
        with self._lifecycle_lock:
            if not self._started:
                return
            self._started = False
            for service in reversed(self.services):
                try:
                    service.stop()
                except Exception:  # one bad service must not keep the others up
                    logger.exception("stopping %s failed", service.name)


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
