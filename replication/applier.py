"""Received replication messages applied to the local store (spec §10.4).

Messages go to the catalog *below* the replicating wrapper of their namespace
(created on demand), so they are never published again, and through the store's
own verbs and rules, so journals, revisions, ETags and caches move on every node
as on the origin:

* REGISTER: :meth:`~registry.store.base.CatalogWriter.restore` with the origin's
  id and registration time, the TTL clamped with this node's settings;
* DEREGISTER: removed (unknown ids are fine: already gone here);
* RENEW: renewed; an unknown id asks the origin for it (READREPAIR, sent as a
  REPAIR event on the stream the origin reads from this node);
* SETSTATUS (from the original's nodes): status set, renewed;
* READREPAIR: the instance, if held here, sent back whole (REGISTER as REPAIR).

A message that cannot be parsed or applied is logged and counted, and the
stream goes on: one bad message never stops the others.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from registry.store.base import Catalog
from registry.store.errors import InstanceNotFoundError, StoreError
from replication.origins import Origins
from replication.state import ReplicationState
from replication.wire import (
    Message,
    ReplicatedInstance,
    RepType,
    WireError,
    event_data,
    instance_from_document,
    instance_json,
    parse_instance,
    parse_snapshot_data,
    parse_status_payload,
)

logger = logging.getLogger(__name__)

#: Namespace -> the catalog received writes go to (below the wrapper).
Targets = Callable[[str], Catalog]
#: ``(member, event data)``: queue a REPAIR event for one peer.
SendRepair = Callable[[str, bytes], bool]


class Applier:
    """Applies the messages of every peer stream of one node."""

    def __init__(
        self,
        targets: Targets,
        ttl_clamp: Callable[[int], int],
        send_repair: SendRepair,
        state: ReplicationState,
        origins: Origins | None = None,
    ) -> None:
        self._targets = targets
        self._ttl_clamp = ttl_clamp
        self._send_repair = send_repair
        self._state = state
        self.origins = origins or Origins()

    def begin_full_state(self, origin: str) -> None:
        """``origin``'s full state (a snapshot or ``/v1/sync``) starts."""
        self.origins.begin_full_state(origin)

    def end_full_state(self, origin: str) -> int:
        """``origin``'s full state is complete: remove what it last wrote here and
        no longer holds (deregistered there while we could not follow it)."""
        gone = self.origins.end_full_state(origin)
        for namespace, instance_id in gone:
            self._quietly(self._targets(namespace).deregister, instance_id)
        if gone:
            self._state.reconciled += len(gone)
            logger.info(
                "removed %d instances that %s no longer holds", len(gone), origin
            )
        return len(gone)

    def apply(self, message: Message, origin: str) -> bool:
        """Apply ``message`` from ``origin``; ``False`` (logged, counted) if bad."""
        try:
            self._apply(message, origin)
        except (WireError, StoreError, UnicodeDecodeError) as err:
            self._state.rejected += 1
            logger.warning(
                "replicated %s from %s in namespace %r rejected: %s",
                message.kind.name,
                origin,
                message.namespace,
                err,
            )
            return False
        return True

    def apply_snapshot(self, data: bytes, origin: str) -> int:
        """Apply a ``SNAPSHOT`` event (ours: many REGISTERs of one namespace);
        return how many instances were stored. Bad instances are logged and
        counted one by one; the others are applied."""
        try:
            namespace, documents = parse_snapshot_data(data)
        except WireError as err:
            self._state.rejected += 1
            logger.warning("snapshot from %s rejected: %s", origin, err)
            return 0
        catalog = self._targets(namespace)
        stored = 0
        for document in documents:
            try:
                self._restore(
                    catalog, namespace, instance_from_document(document), origin
                )
            except (WireError, StoreError) as err:
                self._state.rejected += 1
                logger.warning(
                    "replicated instance from %s in namespace %r rejected: %s",
                    origin,
                    namespace,
                    err,
                )
            else:
                stored += 1
        return stored

    def _restore(
        self,
        catalog: Catalog,
        namespace: str,
        replicated: ReplicatedInstance,
        origin: str,
    ) -> None:
        registration = replicated.registration
        ttl = self._ttl_clamp(registration.ttl)
        if ttl != registration.ttl:
            registration = dataclasses.replace(registration, ttl=ttl)
        catalog.restore(registration, replicated.registration_ns)
        self.origins.wrote(namespace, registration.id, origin)

    def _apply(self, message: Message, origin: str) -> None:
        catalog = self._targets(message.namespace)
        kind = message.kind
        if kind is RepType.REGISTER:
            replicated = parse_instance(message.payload)
            self._restore(catalog, message.namespace, replicated, origin)
        elif kind is RepType.DEREGISTER:
            instance_id = message.payload.decode()
            self.origins.removed(message.namespace, instance_id)
            self._quietly(catalog.deregister, instance_id)
        elif kind is RepType.RENEW:
            instance_id = message.payload.decode()
            try:
                catalog.renew(instance_id)
            except InstanceNotFoundError:
                self._ask_for(message.namespace, instance_id, origin)
        elif kind is RepType.SETSTATUS:
            instance_id, status = parse_status_payload(message.payload)
            try:
                catalog.set_status(instance_id, status)
            except InstanceNotFoundError:
                self._ask_for(message.namespace, instance_id, origin)
        elif kind is RepType.READREPAIR:
            self._answer(catalog, message.namespace, message.payload.decode(), origin)

    def _ask_for(self, namespace: str, instance_id: str, origin: str) -> None:
        """Read-repair: ask ``origin`` for an instance we do not hold."""
        request = Message(namespace, RepType.READREPAIR, instance_id.encode())
        self._send_repair(origin, event_data(request))

    def _answer(
        self, catalog: Catalog, namespace: str, instance_id: str, origin: str
    ) -> None:
        try:
            record = catalog.get_instance(instance_id)
        except InstanceNotFoundError:
            return
        reply = Message(namespace, RepType.REGISTER, instance_json(record))
        self._send_repair(origin, event_data(reply))

    @staticmethod
    def _quietly(deregister: Callable[[str], object], instance_id: str) -> None:
        try:
            deregister(instance_id)
        except InstanceNotFoundError:
            logger.debug("replicated deregistration of unknown %s", instance_id)
