"""The replicating wrapper: every local write, then its message to the peers.

As Eureka's ``PeerAwareInstanceRegistryImpl`` does: the local write first, and
only when it succeeds the message (spec §10.4); the client's response never waits
for a peer. Received writes are applied to :attr:`inner` (below this wrapper), so
they are never published again. ``update`` (a status change, an override, a
metadata change) travels as a REGISTER of the whole record with its registration
time: the peers store exactly what the origin stored, and journal it as UPDATED
or REGISTERED as the origin did. Expiry is not replicated.
"""

from __future__ import annotations

from collections.abc import Callable

from registry.store.base import Catalog, ForwardingCatalog, RenewGuard, UpdateFunction
from registry.store.records import InstanceRegistration, ServiceInstance
from replication.wire import Message, RepType, instance_json

#: ``(message, id of the instance it is about)``.
Publish = Callable[[Message, str], None]


class ReplicatingCatalog(ForwardingCatalog):
    """One namespace's catalog whose writes are published to the cluster."""

    def __init__(self, inner: Catalog, namespace: str, publish: Publish) -> None:
        super().__init__(inner)
        self.namespace = namespace
        self._publish = publish

    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        record = self.inner.register(registration)
        self._send(RepType.REGISTER, record.id, instance_json(record))
        return record

    def deregister(self, instance_id: str) -> ServiceInstance:
        record = self.inner.deregister(instance_id)
        self._send(RepType.DEREGISTER, instance_id, instance_id.encode())
        return record

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        self.inner.renew(instance_id, guard)
        self._send(RepType.RENEW, instance_id, instance_id.encode())

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        record = self.inner.update(instance_id, change)
        self._send(RepType.REGISTER, instance_id, instance_json(record))
        return record

    def _send(self, kind: RepType, instance_id: str, payload: bytes) -> None:
        self._publish(Message(self.namespace, kind, payload), instance_id)
