"""The replication app's plug-in: nothing at all unless ``replication`` is on.

With it on, every namespace's catalog is wrapped by a
:class:`~replication.catalog.ReplicatingCatalog`, the
:class:`~replication.node.ReplicationNode` runs as a background service, and
``/uptime`` reports ``CLUSTER`` and ``REPLICATION`` (spec §8.1), and ``/metrics``
(when on) its figures (:mod:`replication.exposition`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from registry.plugins import BackgroundService, HealthComponent, RegistryPlugin
from registry.store.base import Catalog

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from registry.runtime import RegistryRuntime
    from replication.node import ReplicationNode


class ReplicationPlugin(RegistryPlugin):
    """One runtime's replication (its plug-ins are made per runtime)."""

    def __init__(self) -> None:
        self.node: ReplicationNode | None = None

    def _node(self, runtime: RegistryRuntime) -> ReplicationNode | None:
        if self.node is None and runtime.config.replication:
            # Imported only when used: a node that does not replicate loads
            # none of the servers and threads it needs.
            from replication.node import ReplicationNode

            self.node = ReplicationNode(runtime)
        return self.node

    def wrap(
        self, namespace: str, catalog: Catalog, runtime: RegistryRuntime
    ) -> Catalog:
        node = self._node(runtime)
        return catalog if node is None else node.wrap(namespace, catalog)

    def services(self, runtime: RegistryRuntime) -> Sequence[BackgroundService]:
        node = self._node(runtime)
        return () if node is None else (node,)

    def health(self, runtime: RegistryRuntime) -> Mapping[str, HealthComponent]:
        node = self._node(runtime)
        if node is None:
            return {}
        return {
            "CLUSTER": node.state.cluster_health(),
            "REPLICATION": node.state.replication_health(),
        }

    def metrics(self, runtime: RegistryRuntime) -> Iterable[Metric]:
        node = self._node(runtime)
        if node is None:
            return ()
        from replication.exposition import replication_families

        return replication_families(node.state)
