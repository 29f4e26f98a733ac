"""The metrics app's plug-in: the measuring wrapper, only when metrics are on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metrics.catalog import MeasuredCatalog
from metrics.instruments import instruments_of
from registry.plugins import RegistryPlugin
from registry.store.base import Catalog

if TYPE_CHECKING:
    from registry.runtime import RegistryRuntime


class MetricsPlugin(RegistryPlugin):
    """Wraps each namespace's catalog in a :class:`MeasuredCatalog` when metrics
    are on; adds nothing otherwise (the store calls stay unwrapped)."""

    def wrap(
        self, namespace: str, catalog: Catalog, runtime: RegistryRuntime
    ) -> Catalog:
        if not runtime.config.metrics:
            return catalog
        return MeasuredCatalog(
            catalog, namespace, instruments_of(runtime), runtime.clock
        )
