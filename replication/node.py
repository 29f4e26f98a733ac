"""One node of a replicated cluster: the background service that runs it all.

:meth:`ReplicationNode.start` runs in the server's worker process before it
serves (``registry.worker.start_services``), and returns only when the node may
serve complete reads:

1. find the address to advertise (:mod:`replication.address`), prepare the
   cluster directory, bind the replication port (a taken port fails start-up);
2. read the directory at once and open a stream to every live peer; each peer
   of ours sends a snapshot first (an original peer: its ``/v1/sync``);
3. wait until one snapshot is complete, or every peer has failed to answer, or
   ``sync_timeout`` passed; with no live peer, do not wait at all (the first
   node of a cluster serves at once; decision Q21);
4. start answering on the replication port, write our membership file, and keep
   scanning the directory (streams follow joins and leaves) and renewing it.

:meth:`stop` closes the streams and the listener and deletes our membership file.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from registry.store.base import Catalog
from registry.store.errors import InstanceNotFoundError
from registry.store.records import ServiceInstance
from replication.address import NoAddressError, advertised_address
from replication.applier import Applier
from replication.catalog import ReplicatingCatalog
from replication.hub import Hub
from replication.members import (
    RENEW_INTERVAL,
    SCAN_INTERVAL,
    MembershipDirectory,
    MembershipError,
    ScanResult,
)
from replication.origins import LOCAL, Origins
from replication.peers import PeerStream
from replication.server import ReplicationServer
from replication.state import ReplicationState
from replication.wire import Message, RepType, event_data, instance_json

if TYPE_CHECKING:
    from registry.runtime import RegistryRuntime

logger = logging.getLogger(__name__)

_SYNC_POLL: Final = 0.02
#: How often the origins of instances that expired here are forgotten.
PRUNE_INTERVAL: Final = 60.0


class ReplicationStartError(Exception):
    """This node cannot join a cluster (the message says why)."""


class ReplicationNode:
    """This process as a member of the cluster (a background service)."""

    name = "replication"

    def __init__(self, runtime: RegistryRuntime) -> None:
        self._runtime = runtime
        self._config = runtime.config
        self.state = ReplicationState()
        self.state.threshold = self._config.cluster_size
        self.hub = Hub(self.state)
        self._wrappers: dict[str, ReplicatingCatalog] = {}
        self.origins = Origins()
        self.applier = Applier(
            self._target,
            self._config.ttl_clamp,
            self.hub.send_repair,
            self.state,
            self.origins,
        )
        self._peers: dict[str, PeerStream] = {}
        self._synced = threading.Event()
        self._snapshot_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.directory: MembershipDirectory | None = None
        self.server: ReplicationServer | None = None

    # -- the store seam ----------------------------------------------------------

    def wrap(self, namespace: str, catalog: Catalog) -> Catalog:
        """``namespace``'s catalog, its writes published to the cluster."""
        return ReplicatingCatalog(catalog, namespace, self._publish)

    def _publish(self, message: Message, instance_id: str) -> None:
        self.hub.publish(event_data(message))
        if message.kind is RepType.REGISTER:
            self.origins.wrote(message.namespace, instance_id, LOCAL)
        elif message.kind is RepType.DEREGISTER:
            self.origins.removed(message.namespace, instance_id)

    def wrapper(self, namespace: str) -> ReplicatingCatalog:
        """Our wrapper in the catalog the runtime serves ``namespace`` from
        (created on demand). Found from the runtime's catalog, not kept from
        :meth:`wrap`: two requests may build a namespace at once, and only the
        catalog the runtime keeps is the one clients read."""
        wrapper = self._wrappers.get(namespace)
        if wrapper is None:
            wrapper = _replicating(self._runtime.catalogs.get(namespace))
            self._wrappers[namespace] = wrapper
        return wrapper

    def _target(self, namespace: str) -> Catalog:
        """Where received writes of ``namespace`` go: below our wrapper."""
        return self.wrapper(namespace).inner

    def full_state(self) -> Iterator[tuple[str, list[ServiceInstance]]]:
        """Every namespace with the instances this node holds."""
        for namespace in self._runtime.catalogs.names():
            yield namespace, self.wrapper(namespace).inner.list_instances()

    def snapshot(self) -> Iterator[Message]:
        """Every instance this node holds, as REGISTER messages."""
        for namespace in self._runtime.catalogs.names():
            for record in self.wrapper(namespace).inner.list_instances():
                yield Message(namespace, RepType.REGISTER, instance_json(record))

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Join the cluster; return when this node may serve (see the module).

        Raises :class:`ReplicationStartError` (logged as one line first) when no
        address, the cluster directory or the replication port can be had.
        """
        try:
            directory = self._prepare()
        except (OSError, MembershipError, NoAddressError) as err:
            logger.error("replication cannot start: %s", err)
            raise ReplicationStartError(str(err)) from None
        self._follow(directory.scan())
        self._initial_sync(self._config.sync_timeout)
        assert self.server is not None  # _prepare made it
        self.server.serve()
        directory.write_self()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="replication-membership", daemon=True
        )
        self._thread.start()
        logger.info(
            "replication member %s joined %s with %d peers",
            directory.self_id,
            directory.path,
            len(self._peers),
        )

    def _prepare(self) -> MembershipDirectory:
        config = self._config
        ip = advertised_address(config.replication_host)
        port = config.replication_port
        self.directory = directory = MembershipDirectory(config.cluster_dir, ip, port)
        directory.prepare()
        self.state.member_id = directory.self_id
        self.server = ReplicationServer(
            ip,
            port,
            directory.self_id,
            self.hub,
            self.snapshot,
            self.state,
            self.full_state,
        )
        try:
            self.server.bind()
        except OSError as err:
            reason = err.strerror or str(err)
            raise OSError(f"cannot listen on {ip}:{port}: {reason}") from None
        return directory

    def stop(self) -> None:
        """Leave the cluster: streams, listener, membership file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for member in list(self._peers):
            self._peers.pop(member).stop()
        if self.server is not None:
            self.server.stop()
        if self.directory is not None:
            self.directory.remove_self()

    def _initial_sync(self, timeout: float) -> None:
        if not self._peers:
            logger.info("no live cluster member: serving at once")
            return
        with collector_paused():
            self._wait_for_sync(timeout)

    def _wait_for_sync(self, timeout: float) -> None:
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self._synced.wait(_SYNC_POLL):
                logger.info("synchronised in %.3fs", time.monotonic() - started)
                return
            if all(peer.failures for peer in self._peers.values()):
                logger.warning("no cluster member answered: serving without a sync")
                return
        logger.warning("No active member found. Synchronization was skipped")

    def _on_synced(self, member: str) -> None:
        if not self._synced.is_set():
            logger.info("full state received from %s", member)
        self._synced.set()

    # -- membership --------------------------------------------------------------

    def _loop(self) -> None:
        assert self.directory is not None
        next_renewal = time.monotonic() + RENEW_INTERVAL
        next_prune = time.monotonic() + PRUNE_INTERVAL
        while not self._stop.wait(SCAN_INTERVAL):
            try:
                if time.monotonic() >= next_prune:
                    self.origins.prune(self._holds)
                    next_prune = time.monotonic() + PRUNE_INTERVAL
                if time.monotonic() >= next_renewal:
                    self.directory.write_self()
                    next_renewal = time.monotonic() + RENEW_INTERVAL
                result = self.directory.scan()
                if result.self_lost:
                    logger.warning("our membership file was lost: rejoining")
                    self.directory.write_self()
                    next_renewal = time.monotonic() + RENEW_INTERVAL
                self._follow(result)
            except Exception:  # the loop must outlive one bad pass
                logger.exception("cluster membership pass failed")

    def _holds(self, namespace: str, instance_id: str) -> bool:
        try:
            self._target(namespace).get_instance(instance_id)
        except InstanceNotFoundError:
            return False
        return True

    def _follow(self, result: ScanResult) -> None:
        """Open streams to members that joined, close those of members that left."""
        assert self.directory is not None
        self_id = self.directory.self_id
        self.state.set_cluster_size(
            len(result.alive) + (self_id not in result.alive and self.directory.joined)
        )
        for gone in result.left:
            stream = self._peers.pop(gone, None)
            if stream is not None:
                logger.info("cluster member %s left", gone)
                stream.stop()
        for member in result.alive.values():
            if member.id == self_id or member.id in self._peers:
                continue
            logger.info("cluster member %s joined", member.id)
            stream = PeerStream(
                member,
                self_id,
                self.applier,
                self.state,
                self._on_synced,
                snapshot_first=not self.directory.joined,
                snapshot_lock=self._snapshot_lock,
            )
            self._peers[member.id] = stream
            self.state.peer(member.id)
            stream.start()


def _replicating(catalog: Catalog) -> ReplicatingCatalog:
    """The replicating wrapper inside ``catalog`` (other apps may wrap ours)."""
    found: Catalog | None = catalog
    while found is not None and not isinstance(found, ReplicatingCatalog):
        found = getattr(found, "inner", None)
    if found is None:
        raise LookupError(f"no replicating wrapper in {catalog!r}")
    return found


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's automatic garbage collection off for the block, then the objects
    that exist frozen (never scanned again) and collection back as it was.

    A joining node applies a peer's full state before it serves: about ten
    objects per instance that all stay. The collector's repeated passes over them
    were half of a 100,000-instance apply (4.96 s with, 2.50 s without, in one
    process), and the first pass after it, over everything made meanwhile, took
    0.65 s more. Nothing is served meanwhile and reference counting still frees
    what is dropped; what is left is the synced instances and the loaded code,
    which live on, so they are frozen (``gc.freeze``: 0.04 s then instead).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
