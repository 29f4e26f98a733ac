"""What ``/metrics`` computes at scrape time, from the store and the plug-ins.

Instances and services per namespace are read from the store, so they are right
whichever worker process answers and whatever the store (several processes share
Redis; a replicated node holds its peers' instances). The store counts them
(:meth:`~registry.store.base.CatalogReader.count_by_status`: Redis keeps the counts
in its write scripts, so no record is read), and only when the namespace's
``change_revision`` moved since the last scrape (it moves on every registration,
status change and removal, expiry included, and not on heartbeats). Health
components (the store's and every plug-in's, as ``/uptime`` reports them) become
0/1 gauges, and each plug-in adds its own families (:meth:`RegistryPlugin.metrics
<registry.plugins.RegistryPlugin.metrics>`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from registry.config import VERSION
from registry.runtime import RegistryRuntime
from registry.store.base import CatalogReader
from registry.store.errors import StoreUnavailableError

logger = logging.getLogger(__name__)

#: The health component the store reports (``/uptime`` names it so too).
STORE_COMPONENT: Final = "STORE"


@dataclass(frozen=True)
class NamespaceCounts:
    """One namespace's figures as of one ``change_revision``."""

    change_revision: int
    by_status: Counter[str]
    services: int


class CountsCache:
    """Each namespace's last counts (one per runtime: a runtime component)."""

    def __init__(self) -> None:
        self._counts: dict[str, NamespaceCounts] = {}

    def counts(self, namespace: str, catalog: CatalogReader) -> NamespaceCounts:
        """The namespace's counts, read again only if it changed. Raises
        :class:`StoreUnavailableError`."""
        revision = catalog.change_revision
        known = self._counts.get(namespace)
        if known is not None and known.change_revision == revision:
            return known
        by_status = Counter(catalog.count_by_status())
        fresh = NamespaceCounts(revision, by_status, len(catalog.list_services()))
        self._counts[namespace] = fresh
        return fresh


#: The runtime component holding a runtime's :class:`CountsCache`.
COUNTS_COMPONENT: Final = "metrics.counts"


class RuntimeCollector:
    """Scrape-time figures of one runtime (a prometheus-client collector)."""

    def __init__(self, runtime: RegistryRuntime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        runtime = self._runtime
        yield _build_info()
        yield from _health(runtime)
        yield from _namespaces(runtime)
        for plugin in runtime.plugins:
            yield from plugin.metrics(runtime)


def _build_info() -> GaugeMetricFamily:
    info = GaugeMetricFamily(
        "registry_build_info", "The registry's version (always 1).", labels=["version"]
    )
    info.add_metric([VERSION], 1)
    return info


def _health(runtime: RegistryRuntime) -> Iterator[Metric]:
    healthy = GaugeMetricFamily(
        "registry_component_healthy",
        "Each /uptime component: 1 healthy, 0 not (store and plug-ins).",
        labels=["component"],
    )
    store_healthy, _ = runtime.store.health()
    healthy.add_metric([STORE_COMPONENT], 1 if store_healthy else 0)
    for plugin in runtime.plugins:
        for name, (component_healthy, _properties) in plugin.health(runtime).items():
            healthy.add_metric([name], 1 if component_healthy else 0)
    yield healthy


def _namespaces(runtime: RegistryRuntime) -> Iterator[Metric]:
    instances = GaugeMetricFamily(
        "registry_instances",
        "Live instances, by namespace and status (read from the store).",
        labels=["namespace", "status"],
    )
    services = GaugeMetricFamily(
        "registry_services",
        "Services with at least one live instance, by namespace.",
        labels=["namespace"],
    )
    cache = runtime.component(COUNTS_COMPONENT, CountsCache)
    for namespace in _known_namespaces(runtime):
        try:
            counts = cache.counts(namespace, runtime.catalogs.get(namespace))
        except StoreUnavailableError:
            continue  # the store's health gauge says why
        for status, count in sorted(counts.by_status.items()):
            instances.add_metric([namespace, status], count)
        services.add_metric([namespace], counts.services)
    yield instances
    yield services


def _known_namespaces(runtime: RegistryRuntime) -> Iterable[str]:
    """Every namespace of the store: the ones the expiry sweep covers, which on
    Redis are all of them, whichever process created them."""
    try:
        return list(runtime.store.namespaces_to_sweep(runtime.catalogs))
    except StoreUnavailableError:
        return []
