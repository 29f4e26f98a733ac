"""The catalogs app's plug-in: merge the configured sources into each namespace.

A namespace's catalog becomes a :class:`~registry.store.merged.MergedCatalog`:
its own instances, then Kubernetes, Eureka (namespace ``default`` only) and the
filesystem, as spec §12.1 orders them. Sources are made when a namespace is first
used; their threads are background services of the runtime, so they start once per
worker process under every server and store, and stop with it. Each source kind is
one ``/uptime`` component.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from catalogs.eureka_mirror import EurekaMirror
from catalogs.exposition import SourceFigures, source_families
from catalogs.filesystem import FileSource, FilesystemPoller, file_namespace
from catalogs.kubernetes import KubernetesConnection, KubernetesWatchers
from catalogs.kubernetes_mapping import kubernetes_namespace
from catalogs.tls import client_ssl_context
from registry.config import RegistryConfig
from registry.plugins import BackgroundService, HealthComponent, RegistryPlugin
from registry.store.base import Catalog, CatalogReader
from registry.store.clock import Clock
from registry.store.merged import MergedCatalog

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from registry.runtime import RegistryRuntime

#: The only namespace the Eureka catalog serves (spec §12.3).
EUREKA_NAMESPACE = "default"


class CatalogSources:
    """Every configured source of one runtime."""

    def __init__(self, config: RegistryConfig, clock: Clock) -> None:
        self.config = config
        self._clock = clock
        self.kubernetes: KubernetesWatchers | None = None
        self.eureka: EurekaMirror | None = None
        self.files: dict[str, FileSource] = {}
        self._files_lock = threading.Lock()
        self.poller: FilesystemPoller | None = None
        if config.k8s_url:
            connection = KubernetesConnection(
                config.k8s_url,
                config.k8s_token,
                client_ssl_context(config.k8s_ca_file, config.k8s_insecure),
                config.k8s_resync,
                config.k8s_endpoint_slices,
            )
            self.kubernetes = KubernetesWatchers(connection, clock)
        if config.eureka_url:
            self.eureka = EurekaMirror(
                config.eureka_url,
                clock,
                config.eureka_refresh,
                client_ssl_context(config.eureka_ca_file, config.eureka_insecure),
            )
        if config.fs_catalog:
            self.poller = FilesystemPoller(lambda: list(self.files.values()))

    @property
    def configured(self) -> bool:
        return bool(self.kubernetes or self.eureka or self.poller)

    def sources_for(self, namespace: str) -> list[CatalogReader]:
        """The read-only sources of ``namespace``, in §12.1 order."""
        sources: list[CatalogReader] = []
        k8s_namespace = kubernetes_namespace(namespace)
        if self.kubernetes is not None and k8s_namespace is not None:
            k8s = self.kubernetes.source_for(namespace, k8s_namespace)
            if k8s is not None:
                sources.append(k8s.catalog)
        if self.eureka is not None and namespace == EUREKA_NAMESPACE:
            sources.append(self.eureka.catalog)
        if self.poller is not None and file_namespace(namespace):
            sources.append(self._file_source(namespace).catalog)
        return sources

    def _file_source(self, namespace: str) -> FileSource:
        with self._files_lock:
            source = self.files.get(namespace)
            if source is None:
                source = FileSource(self.config.fs_catalog, namespace, self._clock)
                source.refresh()  # a local file: loaded at once, as the original
                self.files[namespace] = source
            return source

    def services(self) -> list[BackgroundService]:
        return [s for s in (self.kubernetes, self.eureka, self.poller) if s is not None]

    def health(self) -> dict[str, HealthComponent]:
        """One component per source kind; a source never makes ``/uptime`` fail."""
        components: dict[str, HealthComponent] = {}
        if self.kubernetes is not None:
            namespaces = {
                s.namespace: s.state.report() for s in self.kubernetes.sources()
            }
            props: dict[str, Any] = {
                "url": self.kubernetes.connection.url,
                "namespaces": namespaces,
            }
            components["CATALOG_KUBERNETES"] = (True, props)
        if self.eureka is not None:
            props = {"urls": self.eureka.urls, **self.eureka.state.report()}
            components["CATALOG_EUREKA"] = (True, props)
        if self.poller is not None:
            files = {name: s.state.report() for name, s in self.files.items()}
            props = {"directory": self.config.fs_catalog, "namespaces": files}
            components["CATALOG_FILESYSTEM"] = (True, props)
        return components

    def figures(self) -> list[SourceFigures]:
        """(kind, registry namespace, status) of every source made so far."""
        found: list[SourceFigures] = []
        if self.kubernetes is not None:
            found += [
                ("kubernetes", s.namespace, s.state.status)
                for s in self.kubernetes.sources()
            ]
        if self.eureka is not None:
            found.append(("eureka", EUREKA_NAMESPACE, self.eureka.state.status))
        with self._files_lock:
            files = list(self.files.values())
        found += [("filesystem", s.namespace, s.state.status) for s in files]
        return found


class CatalogsPlugin(RegistryPlugin):
    """Merges the sources into every namespace (one plug-in object per runtime)."""

    def __init__(self) -> None:
        self._sources: CatalogSources | None = None
        self._lock = threading.Lock()

    def sources(self, runtime: RegistryRuntime) -> CatalogSources:
        """This runtime's sources, made on first use."""
        with self._lock:
            if self._sources is None:
                self._sources = CatalogSources(runtime.config, runtime.clock)
            return self._sources

    def wrap(
        self, namespace: str, catalog: Catalog, runtime: RegistryRuntime
    ) -> Catalog:
        sources = self.sources(runtime)
        if not sources.configured:
            return catalog
        return MergedCatalog(catalog, sources.sources_for(namespace))

    def services(self, runtime: RegistryRuntime) -> Sequence[BackgroundService]:
        return self.sources(runtime).services()

    def health(self, runtime: RegistryRuntime) -> Mapping[str, HealthComponent]:
        return self.sources(runtime).health()

    def metrics(self, runtime: RegistryRuntime) -> Iterable[Metric]:
        sources = self.sources(runtime)
        if not sources.configured:
            return ()
        return source_families(sources.figures())
