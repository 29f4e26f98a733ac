"""The storage contract: one namespace's instances.

Every backend (in memory, Redis) implements :class:`Catalog`; one contract test suite
(``tests/store/test_contract.py``) runs against each. Errors are the domain errors of
:mod:`registry.store.errors`, never ``None`` or HTTP.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

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


class Catalog(ABC):
    """The instances of one namespace.

    ``revision`` grows on every change (registration, deregistration, heartbeat,
    status change and expiry), so anything derived from a listing can be cached
    against it. ``service_revision(name)`` grows on every change to that service.
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

        Revisions of different services are comparable with the namespace
        revision: each is the namespace revision at the service's last change
        (0 for a service that never existed).
        """

    @abstractmethod
    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        """Create or replace (same id) an instance and start its TTL.

        Raises :class:`FieldTooLongError` when a field passes its limit and
        :class:`CapacityExceededError` when a *new* id would pass the namespace
        capacity (replacing an existing id always succeeds).
        """

    @abstractmethod
    def deregister(self, instance_id: str) -> ServiceInstance:
        """Remove an instance and return it. Raises :class:`InstanceNotFoundError`."""

    @abstractmethod
    def renew(self, instance_id: str) -> None:
        """Restart the TTL countdown (heartbeat).

        Returns nothing: the heartbeat is the hottest write and nobody needs the
        record back. Raises :class:`InstanceNotFoundError`.
        """

    @abstractmethod
    def set_status(
        self, instance_id: str, status: str, extension: bytes | None = None
    ) -> ServiceInstance:
        """Change the status (and renew), and the extension when one is given.

        Raises :class:`InstanceNotFoundError`.
        """

    @abstractmethod
    def get_instance(self, instance_id: str) -> ServiceInstance:
        """One instance by id. Raises :class:`InstanceNotFoundError`."""

    @abstractmethod
    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        """Every live instance, or those of one service (an empty list if unknown).

        Costs O(instances returned), never O(namespace) for one service.
        """

    @abstractmethod
    def list_services(self) -> list[str]:
        """Names of the services with at least one live instance, sorted."""

    @abstractmethod
    def expire(self) -> int:
        """Remove every instance whose TTL has run out; return how many went."""

    @abstractmethod
    def recent_changes(self) -> list[Change]:
        """The journal: registrations, updates and removals (expiry included) of
        at least the last :data:`CHANGE_RETENTION_NS`, oldest first.

        Heartbeats are not journalled: they move ``revision`` but change nothing a
        client merging changes would see.
        """


def check_limits(registration: InstanceRegistration) -> None:
    """Raise :class:`FieldTooLongError` for the first field past its byte limit."""
    if len(registration.service_name.encode()) > MAX_SERVICE_NAME_BYTES:
        raise FieldTooLongError("service_name", MAX_SERVICE_NAME_BYTES)
    if len(registration.endpoint.value.encode()) > MAX_ENDPOINT_VALUE_BYTES:
        raise FieldTooLongError("endpoint", MAX_ENDPOINT_VALUE_BYTES)
    if len(registration.status.encode()) > MAX_STATUS_BYTES:
        raise FieldTooLongError("status", MAX_STATUS_BYTES)
    metadata = registration.metadata
    if metadata is not None and len(metadata) > MAX_METADATA_BYTES:
        raise FieldTooLongError("metadata", MAX_METADATA_BYTES)
