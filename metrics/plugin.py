"""The metrics app's plug-in, only when metrics are on: the measuring wrapper, and
the service that folds the hot paths' deferred tallies (:mod:`metrics.tally`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from metrics.catalog import MeasuredCatalog
from metrics.instruments import instruments_of
from metrics.tally import TallyFolder
from registry.plugins import BackgroundService, RegistryPlugin
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

    def services(self, runtime: RegistryRuntime) -> Sequence[BackgroundService]:
        if not runtime.config.metrics:
            return ()
        return (TallyFolder(instruments_of(runtime).tallies),)
