"""The storage contract: one namespace's instances.

A catalog is a :class:`CatalogReader` (revisions, lookups, listings, the change
journal) and a :class:`CatalogWriter` (the write verbs and expiry). Every backend
(in memory, Redis) implements :class:`Catalog`; one contract test suite
(``tests/store/test_contract.py``) runs against each, and through
:class:`ForwardingCatalog`.

Plug-ins (replication, read-only sources, tests) wrap a catalog: they subclass
:class:`ForwardingCatalog` and override only what they change, a replicating
wrapper the write verbs, a merging wrapper the reads.

Registry rules that every writer must obey (Eureka's ``lastDirtyTimestamp``
conflict rule, which stored values survive a re-registration) are
:class:`~registry.store.rules.RegistrationRule` objects that the backend applies
inside its atomic step. Conditions that a caller puts on one write (a renewal
guard, an update computed from the stored copy) are functions that the backend
evaluates there too, so no other write can slip in between the read and the write.

Errors are the domain errors of :mod:`registry.store.errors`, never ``None`` or
HTTP.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from registry.store.errors import FieldTooLongError
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
    MAX_STATUS_BYTES,
    Change,
    InstanceRegistration,
    ServiceInstance,
)

#: How long the change journal keeps entries (Eureka's delta window).
CHANGE_RETENTION_NS = 180 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class InstanceUpdate:
    """What :meth:`CatalogWriter.update` may change in place: everything but the
    identity (id, service, endpoint) and the TTL."""

    status: str
    metadata: bytes | None
    tags: tuple[str, ...]
    extension: bytes | None
    #: The update counts as a re-registration: the registration time restarts and
    #: the journal says REGISTERED (Eureka's metadata update), not UPDATED.
    reregister: bool = False

    @classmethod
    def of(cls, record: ServiceInstance) -> InstanceUpdate:
        """The update that changes nothing (a starting point for ``replace``)."""
        return cls(record.status, record.metadata, record.tags, record.extension)


#: Computes an update from the stored copy, inside the store's atomic step.
UpdateFunction = Callable[[ServiceInstance], InstanceUpdate]
#: Decides, from the stored copy, whether a renewal may happen.
RenewGuard = Callable[[ServiceInstance], bool]


class CatalogReader(ABC):
    """The read side of a namespace: revisions, lookups, listings, the journal.

    ``revision`` grows on every change (registration, deregistration, heartbeat,
    status change and expiry), so anything derived from a listing can be cached
    against it. A catalog that merges several sources combines their revisions so
    that they still only grow (see :func:`combined_revision`).
    """

    @property
    @abstractmethod
    def revision(self) -> int:
        """A number that grows whenever anything in the namespace changes."""

    @property
    @abstractmethod
    def change_revision(self) -> int:
        """The revision of the latest journalled change (see :meth:`recent_changes`).

        It moves on registrations, status changes and removals, not on heartbeats,
        so views that do not show heartbeat times can be cached against it.
        """

    @abstractmethod
    def service_revision(self, service_name: str) -> int:
        """A number that grows whenever an instance of ``service_name`` changes.

        Never greater than :attr:`revision`; 0 for a service that never existed.
        """

    @abstractmethod
    def get_instance(self, instance_id: str) -> ServiceInstance:
        """One instance by id. Raises :class:`InstanceNotFoundError`."""

    @abstractmethod
    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        """Every live instance, or those of one service (an empty list if unknown).

        Costs O(instances returned), never O(namespace) for one service.
        """

    def select_instances(
        self,
        service_name: str | None,
        predicate: Callable[[ServiceInstance], bool] | None,
        criteria: Hashable = None,
    ) -> Sequence[ServiceInstance]:
        """:meth:`list_instances` of ``service_name``, only those ``predicate``
        accepts (all without one), in the same order. The caller must not modify
        the result.

        ``predicate`` depends on the instance alone. ``criteria`` names it (equal
        criteria, equal predicates; ``None``: unnamed), so that a reader whose
        content rarely changes (a read-only source) may keep its answers until it
        changes.
        """
        instances = self.list_instances(service_name)
        if predicate is None:
            return instances
        return [instance for instance in instances if predicate(instance)]

    @property
    def may_hold_store_ids(self) -> bool:
        """Whether any of this reader's ids could be one a namespace's own
        instance has (see :func:`~registry.store.records.may_be_store_id`).
        When not, a merge need not look for its ids among the namespace's own."""
        return True

    @abstractmethod
    def list_services(self) -> list[str]:
        """Names of the services with at least one live instance, sorted."""

    @abstractmethod
    def recent_changes(self) -> list[Change]:
        """The journal: registrations, updates and removals (expiry included) of
        at least the last :data:`CHANGE_RETENTION_NS`, oldest first.

        Heartbeats are not journalled: they move ``revision`` but change nothing a
        client merging changes would see.
        """

    def count_by_status(self) -> dict[str, int]:
        """Live instances by status: exactly what :meth:`list_instances` would
        show, counted (statuses with none are left out).

        This default reads every instance; a backend that keeps counts (Redis)
        answers without doing so.
        """
        counts: dict[str, int] = {}
        for record in self.list_instances():
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts


class CatalogWriter(ABC):
    """The write side of a namespace: the write verbs and expiry.

    The verbs are exactly what a replicating wrapper sends to its peers
    (``register``, ``deregister``, ``renew``, ``update``); expiry stays local.
    Writes to an instance that a read-only source owns raise
    :class:`ReadOnlyInstanceError`.
    """

    @abstractmethod
    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        """Create or replace (same id) an instance and start its TTL.

        The catalog's registration rules decide, atomically with the write, what
        is stored when the id exists: usually ``registration``, possibly adjusted
        (values that survive a re-registration), or the stored copy, renewed, when
        a rule says it is newer. Returns what is stored.

        Raises :class:`FieldTooLongError` when a field passes its limit and
        :class:`CapacityExceededError` when a *new* id would pass the namespace
        capacity (replacing an existing id always succeeds).
        """

    @abstractmethod
    def deregister(self, instance_id: str) -> ServiceInstance:
        """Remove an instance and return it. Raises :class:`InstanceNotFoundError`."""

    @abstractmethod
    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        """Restart the TTL countdown (heartbeat).

        With a ``guard``, the renewal happens only if ``guard(stored copy)`` is
        true, decided atomically with the renewal; otherwise
        :class:`RenewalRefusedError`. Returns nothing: the heartbeat is the hottest
        write and nobody needs the record back. Raises
        :class:`InstanceNotFoundError`.
        """

    @abstractmethod
    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        """Change status, metadata, tags or extension in place, and renew.

        ``change`` gets the stored copy and returns the new values; it runs
        atomically with the write (it may run more than once, so it must have no
        side effects). The change is journalled as UPDATED, or as REGISTERED with
        a new registration time when the update says ``reregister``. Returns the
        new record. Raises :class:`InstanceNotFoundError` and
        :class:`FieldTooLongError`.
        """

    @abstractmethod
    def expire(self) -> int:
        """Remove every instance whose TTL has run out; return how many went."""

    def restore(
        self, registration: InstanceRegistration, registration_ns: int
    ) -> ServiceInstance:
        """Store an instance another node of a cluster holds (a replicated write).

        Keeps ``registration_ns`` (the origin's registration time) and restarts
        the TTL from now. The same registration (same id and registration time)
        is replaced in place: journalled as UPDATED when anything but its renewal
        changed, not at all otherwise. An older registration than the stored one
        only renews the stored one (the latest registration wins, whatever order
        the messages arrive in). A newer one goes through the registration rules
        like :meth:`register` (a stored copy they prefer is kept and renewed) and
        is journalled as REGISTERED. Capacity is not checked: the
        origin admitted the instance. Raises :class:`FieldTooLongError`; backends
        that cannot be replicated raise :class:`NotImplementedError`.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot restore instances")

    def set_status(
        self, instance_id: str, status: str, extension: bytes | None = None
    ) -> ServiceInstance:
        """Change the status (and the extension when one is given), and renew: an
        :meth:`update`, so every wrapper that overrides ``update`` sees it."""

        def change(record: ServiceInstance) -> InstanceUpdate:
            kept = record.extension if extension is None else extension
            return InstanceUpdate(status, record.metadata, record.tags, kept)

        return self.update(instance_id, change)


class Catalog(CatalogReader, CatalogWriter):
    """The instances of one namespace: read and write sides together."""


class ForwardingCatalog(Catalog):
    """A catalog that hands every call to ``inner``.

    The base of every wrapper: subclass it and override only what the wrapper
    changes (the write verbs to replicate, the reads to merge, ...).
    """

    def __init__(self, inner: Catalog) -> None:
        self.inner = inner

    @property
    def revision(self) -> int:
        return self.inner.revision

    @property
    def change_revision(self) -> int:
        return self.inner.change_revision

    def service_revision(self, service_name: str) -> int:
        return self.inner.service_revision(service_name)

    def get_instance(self, instance_id: str) -> ServiceInstance:
        return self.inner.get_instance(instance_id)

    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        return self.inner.list_instances(service_name)

    # select_instances is not forwarded: the default goes through this wrapper's
    # list_instances, so a wrapper that overrides it (the metrics' timing) sees
    # every listing. A wrapper that filters better overrides select_instances.

    @property
    def may_hold_store_ids(self) -> bool:
        return self.inner.may_hold_store_ids

    def list_services(self) -> list[str]:
        return self.inner.list_services()

    def recent_changes(self) -> list[Change]:
        return self.inner.recent_changes()

    def count_by_status(self) -> dict[str, int]:
        return self.inner.count_by_status()

    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        return self.inner.register(registration)

    def deregister(self, instance_id: str) -> ServiceInstance:
        return self.inner.deregister(instance_id)

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        self.inner.renew(instance_id, guard)

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        return self.inner.update(instance_id, change)

    def restore(
        self, registration: InstanceRegistration, registration_ns: int
    ) -> ServiceInstance:
        return self.inner.restore(registration, registration_ns)

    def expire(self) -> int:
        return self.inner.expire()


def combined_revision(revisions: list[int]) -> int:
    """The revision of a view merged from several catalogs.

    The sum of the parts: it grows whenever any part grows and never goes back
    while none does, so caches and ETags keyed on it stay right. A service's
    combined revision is the sum of its parts too, hence never greater than the
    combined namespace revision.
    """
    return sum(revisions)


def check_limits(registration: InstanceRegistration) -> None:
    """Raise :class:`FieldTooLongError` for the first field past its byte limit."""
    if len(registration.service_name.encode()) > MAX_SERVICE_NAME_BYTES:
        raise FieldTooLongError("service_name", MAX_SERVICE_NAME_BYTES)
    if len(registration.endpoint.value.encode()) > MAX_ENDPOINT_VALUE_BYTES:
        raise FieldTooLongError("endpoint", MAX_ENDPOINT_VALUE_BYTES)
    if len(registration.status.encode()) > MAX_STATUS_BYTES:
        raise FieldTooLongError("status", MAX_STATUS_BYTES)
    check_metadata(registration.metadata)


def check_update(update: InstanceUpdate) -> None:
    """Raise :class:`FieldTooLongError` for an update's field past its limit."""
    if len(update.status.encode()) > MAX_STATUS_BYTES:
        raise FieldTooLongError("status", MAX_STATUS_BYTES)
    check_metadata(update.metadata)


def check_metadata(metadata: bytes | None) -> None:
    if metadata is not None and len(metadata) > MAX_METADATA_BYTES:
        raise FieldTooLongError("metadata", MAX_METADATA_BYTES)
