"""The Kubernetes catalog: list then watch Endpoints and Pods per namespace (§12.2).

Each registry namespace that is a valid Kubernetes namespace name gets a
:class:`KubernetesSource` when it is first used. The source runs two
:class:`ResourceWatch` threads (Endpoints, Pods) with the lightkube client. Each
one lists, then watches from the list's resourceVersion; it resumes from the last
resourceVersion it saw (bookmarks included) after a dropped or closed watch,
lists again on 410 Gone, waits with a doubling backoff after errors, and lists
again every ``resync`` seconds. resourceVersions are opaque: only handed back.

Every change rebuilds the namespace's instances from both caches and publishes
them as one snapshot; readers never wait for Kubernetes.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from typing import Any

import httpx2
from lightkube import ApiError, Client
from lightkube.config.kubeconfig import SingleConfig
from lightkube.config.models import Cluster, Context, User
from lightkube.resources.core_v1 import Endpoints, Pod
from lightkube.resources.discovery_v1 import EndpointSlice

from catalogs.kubernetes_mapping import service_instances, slice_instances
from catalogs.snapshot import SnapshotCatalog
from catalogs.state import SourceState
from registry.store.clock import Clock

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
GONE = 410
#: Most namespaces one process watches (two threads and two watches each).
MAX_NAMESPACES = 256

Resource = type[Endpoints] | type[EndpointSlice] | type[Pod]


class KubernetesConnection:
    """How to reach the API server: URL, token and TLS verification."""

    def __init__(
        self,
        url: str,
        token: str = "",
        ssl_context: ssl.SSLContext | None = None,
        resync: float = 60.0,
        endpoint_slices: bool = False,
    ) -> None:
        self.url = url.rstrip("/")
        #: Watch discovery.k8s.io/v1 EndpointSlices instead of v1 Endpoints.
        self.endpoint_slices = endpoint_slices
        self.token = token
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.resync = resync

    def client(self) -> Client:
        """A new lightkube client; a watch stays silent at most ``resync`` seconds."""
        config = SingleConfig(
            context_name="registry",
            context=Context(cluster="registry"),
            cluster=Cluster(server=self.url),
            user=User(token=self.token or None),
        )
        transport = _ReadTimeoutCap(
            httpx2.HTTPTransport(verify=self.ssl_context, trust_env=False), self.resync
        )
        return Client(
            config,
            timeout=httpx2.Timeout(REQUEST_TIMEOUT_SECONDS),
            trust_env=False,
            transport=transport,
        )


class _ReadTimeoutCap(httpx2.BaseTransport):
    """Gives watch requests (no read timeout) one, so a hung watch ends."""

    def __init__(self, inner: httpx2.BaseTransport, read_timeout: float) -> None:
        self._inner = inner
        self._read_timeout = read_timeout

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        timeout = dict(request.extensions.get("timeout") or {})
        if timeout.get("read") is None:
            timeout["read"] = self._read_timeout
            request.extensions["timeout"] = timeout
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class KubernetesSource:
    """One registry namespace's Kubernetes instances."""

    def __init__(
        self,
        namespace: str,
        k8s_namespace: str,
        connection: KubernetesConnection,
        clock: Clock,
    ) -> None:
        self.namespace = namespace
        self.k8s_namespace = k8s_namespace
        self.catalog = SnapshotCatalog(clock, source_label="Kubernetes")
        self.state = SourceState(f"kubernetes:{namespace}")
        self._clock = clock
        self._lock = threading.Lock()
        self._services: Resource = (
            EndpointSlice if connection.endpoint_slices else Endpoints
        )
        self._objects: dict[Resource, dict[str, Any]] = {self._services: {}, Pod: {}}
        self._listed: set[Resource] = set()
        self.watches = [
            ResourceWatch(self, self._services, connection),
            ResourceWatch(self, Pod, connection),
        ]

    def start(self) -> None:
        for watch in self.watches:
            watch.start()

    def stop(self, deadline: float) -> None:
        for watch in self.watches:
            watch.stop(deadline)

    def replace_all(self, resource: Resource, objects: dict[str, Any]) -> None:
        """A list's result: every object of ``resource``."""
        with self._lock:
            self._objects[resource] = objects
            self._listed.add(resource)
            self._rebuild()

    def apply(self, resource: Resource, event: str, obj: Any) -> None:
        """One watch event: ``ADDED``, ``MODIFIED`` or ``DELETED``."""
        name = obj.metadata.name if obj.metadata else None
        if not name:
            return
        with self._lock:
            if event == "DELETED":
                self._objects[resource].pop(name, None)
            else:
                self._objects[resource][name] = obj
            self._rebuild()

    def current(self) -> None:
        """The watch is live and nothing changed (a bookmark): synced again."""
        with self._lock:
            if len(self._listed) == len(self._objects):
                count = len(self.catalog.snapshot.by_id)
                self.state.succeeded(self._clock.now_ns(), count)

    def failed(self, error: str) -> None:
        self.state.failed(self._clock.now_ns(), error, keep_synced=False)

    def _rebuild(self) -> None:
        # Not before both kinds are listed: endpoints without their pods would get
        # ids that change (``<ip>-<port>``, then ``<pod UID>-<port>``).
        if len(self._listed) < len(self._objects):
            return
        pods = self._objects[Pod]
        if self._services is EndpointSlice:
            instances = slice_instances(self._objects[EndpointSlice].values(), pods)
        else:
            instances = service_instances(self._objects[Endpoints].values(), pods)
        self.catalog.replace(instances)
        self.state.succeeded(self._clock.now_ns(), len(instances))


class ResourceWatch:
    """List then watch one resource kind of one namespace, on its own thread."""

    def __init__(
        self,
        source: KubernetesSource,
        resource: Resource,
        connection: KubernetesConnection,
    ) -> None:
        self.source = source
        self.resource = resource
        self.connection = connection
        self.name = f"k8s-{resource.__name__.lower()}-{source.k8s_namespace}"
        self.version: str | None = None
        self.lists = 0
        self._stop = threading.Event()
        self._client: Client | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=self.name, daemon=True
            )
            self._thread.start()

    def stop(self, deadline: float) -> None:
        """Ask the thread to end; wait until ``deadline`` (monotonic) at most."""
        self._stop.set()
        if self._client is not None:
            self._client.close()
        if self._thread is not None:
            self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
            self._thread = None

    def _run(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        last_gone = -1e9
        while not self._stop.is_set():
            client = self._client = self.connection.client()
            try:
                self._list_and_watch(client)
                backoff = FIRST_BACKOFF_SECONDS
                continue  # resync due: list again at once
            except ApiError as err:
                self.version = None if err.status.code == GONE else self.version
                if err.status.code == GONE and time.monotonic() - last_gone > 1:
                    logger.info("%s: resourceVersion gone, listing again", self.name)
                    last_gone = time.monotonic()
                    continue  # at once, unless the fresh list's version is gone too
                self._failed(f"HTTP {err.status.code}: {err.status.message}")
            except (httpx2.HTTPError, OSError, ValueError) as err:
                self._failed(f"{type(err).__name__}: {err}")
            except Exception as err:  # a bug met once must not end the watch
                if not self._stop.is_set():
                    logger.exception("%s failed", self.name)
                    self.source.failed(repr(err))
            finally:
                client.close()
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _failed(self, error: str) -> None:
        if self._stop.is_set():
            return
        logger.warning("%s failed (%s); keeping the last state", self.name, error)
        self.source.failed(error)

    def _list_and_watch(self, client: Client) -> None:
        """List unless resuming, then watch until the resync is due or a stop."""
        if self.version is None:
            self._list(client)
        resync_at = time.monotonic() + self.connection.resync
        try:
            for event, obj in client.watch(
                self.resource,
                namespace=self.source.k8s_namespace,
                resource_version=self.version,
            ):
                if obj.metadata is not None and obj.metadata.resourceVersion:
                    self.version = obj.metadata.resourceVersion
                if event in ("ADDED", "MODIFIED", "DELETED"):
                    self.source.apply(self.resource, event, obj)
                elif event == "BOOKMARK":
                    self.source.current()
                if self._stop.is_set() or time.monotonic() >= resync_at:
                    break
        except httpx2.ReadTimeout:
            if time.monotonic() < resync_at:
                raise
        self.version = None  # resync: list again

    def _list(self, client: Client) -> None:
        listed = client.list(self.resource, namespace=self.source.k8s_namespace)
        objects: dict[str, Any] = {
            obj.metadata.name: obj
            for obj in listed
            if obj.metadata is not None and obj.metadata.name
        }
        self.version = listed.resourceVersion
        self.lists += 1
        self.source.replace_all(self.resource, objects)


class KubernetesWatchers:
    """The background service owning every namespace's Kubernetes source."""

    name = "catalog-kubernetes"

    def __init__(
        self,
        connection: KubernetesConnection,
        clock: Clock,
        max_namespaces: int = MAX_NAMESPACES,
    ) -> None:
        self.connection = connection
        self.max_namespaces = max_namespaces
        self._full_logged = False
        self._clock = clock
        self._sources: dict[str, KubernetesSource] = {}
        self._lock = threading.Lock()
        self._started = False

    def source_for(self, namespace: str, k8s_namespace: str) -> KubernetesSource | None:
        """The source of ``namespace``, made (and started, if running) once.

        ``None`` past :data:`MAX_NAMESPACES` sources: with ``trusted`` auth any
        token is a namespace, and each source holds two threads and two watches.
        """
        with self._lock:
            source = self._sources.get(namespace)
            if source is None:
                if len(self._sources) >= self.max_namespaces:
                    if not self._full_logged:
                        self._full_logged = True
                        logger.warning(
                            "Kubernetes catalog: %d namespaces watched already; "
                            "namespace %r and later ones get none",
                            self.max_namespaces,
                            namespace,
                        )
                    return None
                source = KubernetesSource(
                    namespace, k8s_namespace, self.connection, self._clock
                )
                self._sources[namespace] = source
                if self._started:
                    source.start()
            return source

    def sources(self) -> list[KubernetesSource]:
        return list(self._sources.values())

    def start(self) -> None:
        with self._lock:
            self._started = True
            for source in self._sources.values():
                source.start()

    def stop(self) -> None:
        with self._lock:
            self._started = False
            sources = list(self._sources.values())
        deadline = time.monotonic() + 1
        for source in sources:
            source.stop(deadline)
