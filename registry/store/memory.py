"""In-memory catalog: dicts indexed by id and by service, one lock, one deadline heap.

Expiry needs no timer per heartbeat (spec quirk Q19): the heap holds one entry per
instance, pushed at registration. A heartbeat only replaces the record. When the
sweep pops an entry whose instance was renewed meanwhile, it pushes the entry back
at the instance's real deadline; stale entries (re-registered or removed ids) are
recognised through ``_scheduled`` and dropped.
"""

from __future__ import annotations

import heapq
import threading
from collections import deque

from registry.store.base import (
    CHANGE_RETENTION_NS,
    Catalog,
    RenewGuard,
    UpdateFunction,
    check_limits,
    check_update,
)
from registry.store.clock import Clock
from registry.store.errors import (
    CapacityExceededError,
    InstanceNotFoundError,
    RenewalRefusedError,
)
from registry.store.records import (
    Change,
    ChangeKind,
    InstanceRegistration,
    ServiceInstance,
)
from registry.store.rules import NO_RULES, RegistrationRules


class InMemoryCatalog(Catalog):
    """One namespace's instances, held in this process."""

    def __init__(
        self,
        clock: Clock,
        capacity: int = -1,
        retention_ns: int = CHANGE_RETENTION_NS,
        rules: RegistrationRules = NO_RULES,
    ) -> None:
        self._clock = clock
        self._capacity = capacity
        self._rules = rules
        self._lock = threading.Lock()
        self._by_id: dict[str, ServiceInstance] = {}
        self._by_service: dict[str, dict[str, ServiceInstance]] = {}
        self._service_revisions: dict[str, int] = {}
        self._revision = 0
        self._deadlines: list[tuple[int, str]] = []
        self._scheduled: dict[str, int] = {}
        self._journal: deque[Change] = deque()
        self._change_revision = 0
        self._retention_ns = retention_ns

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def change_revision(self) -> int:
        return self._change_revision

    def service_revision(self, service_name: str) -> int:
        return self._service_revisions.get(service_name, 0)

    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        check_limits(registration)
        with self._lock:
            now = self._clock.now_ns()
            old = self._by_id.get(registration.id)
            live = old if old is not None and not _expired(old, now) else None
            admitted = self._admitted(registration, live)
            if admitted is None:
                assert live is not None
                return self._replace(live, live.status, live.extension)
            registration = admitted
            if old is None and 0 <= self._capacity <= len(self._by_id):
                raise CapacityExceededError(self._capacity)
            record = self._put(registration, now, now, old)
            self._journal_change(ChangeKind.REGISTERED, record, now)
        return record

    def restore(
        self, registration: InstanceRegistration, registration_ns: int
    ) -> ServiceInstance:
        check_limits(registration)
        with self._lock:
            now = self._clock.now_ns()
            old = self._by_id.get(registration.id)
            live = old if old is not None and not _expired(old, now) else None
            same = live is not None and live.registration_ns == registration_ns
            if live is not None and live.registration_ns > registration_ns:
                # A later registration is held (it reached us first): it wins.
                return self._replace(live, live.status, live.extension)
            if not same:
                admitted = self._admitted(registration, live)
                if admitted is None:
                    assert live is not None
                    return self._replace(live, live.status, live.extension)
                registration = admitted
            record = self._put(registration, registration_ns, now, old)
            if not same:
                self._journal_change(ChangeKind.REGISTERED, record, now)
            elif live is not None and _differs(live, record):
                self._journal_change(ChangeKind.UPDATED, record, now)
        return record

    def _admitted(
        self, registration: InstanceRegistration, live: ServiceInstance | None
    ) -> InstanceRegistration | None:
        """What the rules make of ``registration`` (checked against the limits);
        ``None``: ``live`` stays as it is (the caller renews it)."""
        if not (self._rules and self._rules.applies_to(registration)):
            return registration
        admitted = self._rules.decide(registration, live)
        if admitted is not None:
            check_limits(admitted)
        return admitted

    def deregister(self, instance_id: str) -> ServiceInstance:
        with self._lock:
            record = self._live(instance_id)
            self._remove(record)
            self._journal_change(ChangeKind.REMOVED, record, self._clock.now_ns())
        return record

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        with self._lock:
            old = self._live(instance_id)
            if guard is not None and not guard(old):
                raise RenewalRefusedError(instance_id)
            self._replace(old, old.status, old.extension)

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        with self._lock:
            old = self._live(instance_id)
            update = change(old)
            check_update(update)
            now = self._clock.now_ns()
            record = ServiceInstance(
                old.id,
                old.service_name,
                old.endpoint,
                update.status,
                old.ttl,
                update.metadata,
                update.tags,
                now if update.reregister else old.registration_ns,
                now,
                update.extension,
            )
            self._store(record)
            kind = ChangeKind.REGISTERED if update.reregister else ChangeKind.UPDATED
            self._journal_change(kind, record, now)
            return record

    def get_instance(self, instance_id: str) -> ServiceInstance:
        with self._lock:
            return self._live(instance_id)

    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        with self._lock:
            if service_name is None:
                return list(self._by_id.values())
            members = self._by_service.get(service_name)
            return list(members.values()) if members else []

    def list_services(self) -> list[str]:
        with self._lock:
            return sorted(self._by_service)

    def expire(self) -> int:
        now = self._clock.now_ns()
        expired = 0
        with self._lock:
            heap = self._deadlines
            while heap and heap[0][0] < now:
                deadline, instance_id = heapq.heappop(heap)
                if self._scheduled.get(instance_id) != deadline:
                    continue  # superseded by a later push for the same id
                del self._scheduled[instance_id]
                record = self._by_id.get(instance_id)
                if record is None:
                    continue
                actual = record.expires_ns
                if actual is None:
                    continue
                if actual >= now:
                    self._schedule(instance_id, actual)
                    continue
                self._remove(record)
                self._journal_change(ChangeKind.REMOVED, record, now)
                expired += 1
        return expired

    def recent_changes(self) -> list[Change]:
        with self._lock:
            self._prune_journal(self._clock.now_ns())
            return list(self._journal)

    # -- helpers; the caller holds the lock ------------------------------------

    def _put(
        self,
        registration: InstanceRegistration,
        registration_ns: int,
        now: int,
        old: ServiceInstance | None,
    ) -> ServiceInstance:
        """Store ``registration`` as renewed ``now``, in place of ``old``."""
        record = ServiceInstance(
            registration.id,
            registration.service_name,
            registration.endpoint,
            registration.status,
            registration.ttl,
            registration.metadata,
            registration.tags,
            registration_ns,
            now,
            registration.extension,
        )
        if old is not None and old.service_name != record.service_name:
            self._unindex(old)
        self._store(record)
        return record

    def _live(self, instance_id: str) -> ServiceInstance:
        """The instance, unless unknown or past its deadline (then it goes now,
        as the sweep would have removed it: a late heartbeat cannot revive it)."""
        record = self._by_id.get(instance_id)
        if record is None:
            raise InstanceNotFoundError(instance_id)
        now = self._clock.now_ns()
        if _expired(record, now):
            self._remove(record)
            self._journal_change(ChangeKind.REMOVED, record, now)
            raise InstanceNotFoundError(instance_id)
        return record

    def _replace(
        self, old: ServiceInstance, status: str, extension: bytes | None
    ) -> ServiceInstance:
        record = ServiceInstance(
            old.id,
            old.service_name,
            old.endpoint,
            status,
            old.ttl,
            old.metadata,
            old.tags,
            old.registration_ns,
            self._clock.now_ns(),
            extension,
        )
        self._store(record)
        return record

    def _store(self, record: ServiceInstance) -> None:
        self._by_id[record.id] = record
        members = self._by_service.get(record.service_name)
        if members is None:
            members = self._by_service[record.service_name] = {}
        members[record.id] = record
        self._bump(record.service_name)
        deadline = record.expires_ns
        if deadline is not None:
            scheduled = self._scheduled.get(record.id)
            if scheduled is None or scheduled > deadline:
                self._schedule(record.id, deadline)

    def _schedule(self, instance_id: str, deadline: int) -> None:
        self._scheduled[instance_id] = deadline
        heapq.heappush(self._deadlines, (deadline, instance_id))

    def _remove(self, record: ServiceInstance) -> None:
        del self._by_id[record.id]
        self._scheduled.pop(record.id, None)
        self._unindex(record)

    def _unindex(self, record: ServiceInstance) -> None:
        members = self._by_service[record.service_name]
        del members[record.id]
        if not members:
            del self._by_service[record.service_name]
        self._bump(record.service_name)

    def _journal_change(
        self, kind: ChangeKind, record: ServiceInstance, now: int
    ) -> None:
        self._journal.append(Change(kind, record, now, self._revision))
        self._change_revision = self._revision
        self._prune_journal(now)

    def _prune_journal(self, now: int) -> None:
        journal = self._journal
        horizon = now - self._retention_ns
        while journal and journal[0].at_ns < horizon:
            journal.popleft()

    def _bump(self, service_name: str) -> None:
        self._revision += 1
        self._service_revisions[service_name] = self._revision


def _expired(record: ServiceInstance, now: int) -> bool:
    deadline = record.expires_ns
    return deadline is not None and deadline < now


def _differs(old: ServiceInstance, new: ServiceInstance) -> bool:
    """Whether ``new`` changes anything a reader sees besides the renewal time."""
    return (
        old.status != new.status
        or old.metadata != new.metadata
        or old.tags != new.tags
        or old.extension != new.extension
        or old.ttl != new.ttl
        or old.endpoint != new.endpoint
        or old.service_name != new.service_name
    )
