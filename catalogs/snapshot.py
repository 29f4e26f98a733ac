"""A read-only source's instances: an immutable snapshot swapped atomically.

A source (a Kubernetes watch, a remote Eureka, a file) computes the whole set of
instances it currently knows and hands it to :meth:`SnapshotCatalog.replace`. The
catalog diffs it against the previous snapshot, journals what changed (so the
Eureka delta shows it), moves the revisions of the services that changed, and
publishes the new :class:`Snapshot` with one reference assignment. Readers take the
reference once and never wait for a source's I/O or for a replacement in progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from registry.store.base import CHANGE_RETENTION_NS, CatalogReader
from registry.store.clock import Clock
from registry.store.errors import InstanceNotFoundError
from registry.store.records import (
    Change,
    ChangeKind,
    ServiceInstance,
    may_be_store_id,
)

#: How many filtered answers a snapshot keeps (the oldest goes first). Each holds
#: references only; queries are the clients', so the number is bounded.
MAX_SELECTIONS = 64


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a source shows at one revision; never mutated once published."""

    revision: int = 0
    change_revision: int = 0
    by_id: Mapping[str, ServiceInstance] = field(default_factory=dict)
    by_service: Mapping[str, tuple[ServiceInstance, ...]] = field(default_factory=dict)
    service_revisions: Mapping[str, int] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    journal: tuple[Change, ...] = ()
    #: Every instance, in ``by_id`` order.
    instances: tuple[ServiceInstance, ...] = ()
    #: Whether any id has a shape the store gives (see ``may_be_store_id``).
    may_hold_store_ids: bool = False
    #: Filtered answers by ``(service name, criteria)``: the snapshot never
    #: changes, so neither do they (see ``SnapshotCatalog.select_instances``).
    selections: dict[tuple[str | None, Hashable], tuple[ServiceInstance, ...]] = field(
        default_factory=dict, compare=False
    )


class SnapshotCatalog(CatalogReader):
    """A :class:`CatalogReader` over the latest snapshot a source published.

    ``source_label`` names the source where people see it (the dashboard's
    *source* column): ``Kubernetes``, ``Eureka``, ``file``.
    """

    def __init__(
        self,
        clock: Clock,
        retention_ns: int = CHANGE_RETENTION_NS,
        source_label: str = "catalog",
    ) -> None:
        self.source_label = source_label
        self._clock = clock
        self._retention_ns = retention_ns
        self._snapshot = Snapshot()
        self._writer = threading.Lock()  # one replacement at a time; readers never
        self._selections_lock = threading.Lock()

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    # -- reads ----------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._snapshot.revision

    @property
    def change_revision(self) -> int:
        return self._snapshot.change_revision

    def service_revision(self, service_name: str) -> int:
        return self._snapshot.service_revisions.get(service_name, 0)

    def get_instance(self, instance_id: str) -> ServiceInstance:
        try:
            return self._snapshot.by_id[instance_id]
        except KeyError:
            raise InstanceNotFoundError(instance_id) from None

    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        return list(_scope(self._snapshot, service_name))

    def select_instances(
        self,
        service_name: str | None,
        predicate: Callable[[ServiceInstance], bool] | None,
        criteria: Hashable = None,
    ) -> Sequence[ServiceInstance]:
        """As the contract says; a named filter runs once per snapshot (its answer
        is kept with the snapshot), so a namespace's revision moving (a heartbeat
        of its own instances) never makes the source filter again."""
        snapshot = self._snapshot
        scope = _scope(snapshot, service_name)
        if predicate is None:
            return scope
        if criteria is None:
            return [record for record in scope if predicate(record)]
        key = (service_name, criteria)
        found = snapshot.selections.get(key)
        if found is None:
            found = tuple(record for record in scope if predicate(record))
            with self._selections_lock:
                if len(snapshot.selections) >= MAX_SELECTIONS:
                    del snapshot.selections[next(iter(snapshot.selections))]
                snapshot.selections[key] = found
        return found

    @property
    def may_hold_store_ids(self) -> bool:
        return self._snapshot.may_hold_store_ids

    def list_services(self) -> list[str]:
        return list(self._snapshot.services)

    def recent_changes(self) -> list[Change]:
        return list(self._snapshot.journal)

    # -- the source's side ----------------------------------------------------

    def replace(self, instances: Iterable[ServiceInstance]) -> bool:
        """Publish ``instances`` as the source's whole content.

        Ids must be unique (the last one of a repeated id wins). Returns whether
        anything changed; revisions move only then.
        """
        new_by_id = {record.id: record for record in instances}
        with self._writer:
            old = self._snapshot
            removed = [r for i, r in old.by_id.items() if i not in new_by_id]
            changed = [r for i, r in new_by_id.items() if old.by_id.get(i) != r]
            if not removed and not changed:
                return False
            self._snapshot = _next_snapshot(
                old,
                new_by_id,
                changed,
                removed,
                self._clock.now_ns(),
                self._retention_ns,
            )
            return True


def _scope(snapshot: Snapshot, service_name: str | None) -> Sequence[ServiceInstance]:
    if service_name is None:
        return snapshot.instances
    return snapshot.by_service.get(service_name, ())


def _renewed_only(old: ServiceInstance | None, new: ServiceInstance) -> bool:
    """Whether ``new`` differs from ``old`` in its heartbeat time alone.

    Like a heartbeat in the store, that moves the revisions but is not journalled:
    a mirrored Eureka renewing its instances must not fill the delta.
    """
    return old is not None and replace(old, last_renewal_ns=new.last_renewal_ns) == new


def _next_snapshot(
    old: Snapshot,
    by_id: dict[str, ServiceInstance],
    changed: list[ServiceInstance],
    removed: list[ServiceInstance],
    now_ns: int,
    retention_ns: int,
) -> Snapshot:
    revision = old.revision + 1
    by_service: dict[str, list[ServiceInstance]] = {}
    for record in by_id.values():
        by_service.setdefault(record.service_name, []).append(record)
    service_revisions = dict(old.service_revisions)
    for record in (*changed, *removed):
        service_revisions[record.service_name] = revision
        previous = old.by_id.get(record.id)
        if previous is not None:  # an id may move to another service
            service_revisions[previous.service_name] = revision
    journal = [c for c in old.journal if c.at_ns >= now_ns - retention_ns]
    journalled = [r for r in changed if not _renewed_only(old.by_id.get(r.id), r)]
    journal += [
        Change(ChangeKind.REGISTERED, record, now_ns, revision) for record in journalled
    ]
    journal += [
        Change(ChangeKind.REMOVED, record, now_ns, revision) for record in removed
    ]
    moved = bool(journalled or removed)
    return Snapshot(
        revision=revision,
        change_revision=revision if moved else old.change_revision,
        by_id=MappingProxyType(by_id),
        by_service={name: tuple(records) for name, records in by_service.items()},
        service_revisions=service_revisions,
        services=tuple(sorted(by_service)),
        journal=tuple(journal),
        instances=tuple(by_id.values()),
        may_hold_store_ids=any(map(may_be_store_id, by_id)),
    )
