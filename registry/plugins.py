"""Plug-in points: what an installed app adds to every registry runtime.

An app declares a plug-in on its ``AppConfig``::

    class ReplicationConfig(AppConfig):
        name = "replication"
        registry_plugin = "replication.plugin.ReplicationPlugin"

The runtime instantiates each installed app's plug-in once, in ``INSTALLED_APPS``
order, and asks it for:

* :meth:`RegistryPlugin.rules`: registration rules every catalog applies inside its
  atomic step (:mod:`registry.store.rules`);
* :meth:`RegistryPlugin.wrap`: a wrapper around each namespace's catalog (a
  :class:`~registry.store.base.ForwardingCatalog` subclass that overrides only
  what it changes); wrappers compose in app order, the first app's innermost;
* :meth:`RegistryPlugin.services`: background services the runtime starts once per
  worker process, after the server forks, and stops on shutdown;
* :meth:`RegistryPlugin.health`: components ``/uptime`` reports beside ``UPTIME``
  and ``STORE`` (spec §8.1), each ``(healthy, properties)``; ``/metrics`` shows
  each as a 0/1 gauge too;
* :meth:`RegistryPlugin.metrics`: the app's own figures for ``/metrics``, collected
  at scrape time (when metrics are on).

Nothing is global: the plug-ins and what they make belong to one runtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from django.apps import apps
from django.utils.module_loading import import_string

from registry.store.base import Catalog
from registry.store.rules import RegistrationRule

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from registry.runtime import RegistryRuntime


class BackgroundService(Protocol):
    """Work that runs on its own (a sweep, a stream, a watch) with a lifecycle.

    ``start()`` returns at once (the work runs on its own threads) and is called
    once per process; ``stop()`` ends the work and waits for it, briefly.
    """

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


HealthComponent = tuple[bool, Mapping[str, Any]]
"""One ``/uptime`` component: whether it is healthy, and its properties."""


class RegistryPlugin:
    """What an app adds to the registry; override what the app uses."""

    def rules(self, runtime: RegistryRuntime) -> Sequence[RegistrationRule]:
        """Registration rules for every catalog of ``runtime``."""
        return ()

    def wrap(
        self, namespace: str, catalog: Catalog, runtime: RegistryRuntime
    ) -> Catalog:
        """The catalog ``namespace`` is served from: ``catalog`` or a wrapper."""
        return catalog

    def services(self, runtime: RegistryRuntime) -> Sequence[BackgroundService]:
        """Background services of ``runtime``, started and stopped with it."""
        return ()

    def health(self, runtime: RegistryRuntime) -> Mapping[str, HealthComponent]:
        """``/uptime`` components by name (``CLUSTER``, say): healthy, properties.

        Called on every ``/uptime`` request: answer from state the plug-in's
        services keep, never by calling out to another system.
        """
        return {}

    def metrics(self, runtime: RegistryRuntime) -> Iterable[Metric]:
        """Metric families for ``/metrics``, made at each scrape (only when metrics
        are on): ``prometheus_client.core.GaugeMetricFamily`` and the like, named
        ``registry_<app>_...``, labelled by low-cardinality values only (a peer, a
        source; never an instance id). Like :meth:`health`, answer from state the
        plug-in's services keep. See ``docs/metrics.md``.
        """
        return ()


def installed_plugins() -> list[RegistryPlugin]:
    """One instance of every installed app's plug-in, in ``INSTALLED_APPS`` order."""
    plugins: list[RegistryPlugin] = []
    for config in apps.get_app_configs():
        path = getattr(config, "registry_plugin", None)
        if path is None:
            continue
        plugin_class = import_string(path) if isinstance(path, str) else path
        plugins.append(plugin_class())
    return plugins
