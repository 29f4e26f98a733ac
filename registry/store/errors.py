"""Domain errors raised by every :class:`~registry.store.base.Catalog`.

The tree::

    StoreError
    ├── InstanceNotFoundError      the id is unknown in this namespace (or expired)
    │   └── ReadOnlyInstanceError  a write to an instance a read-only source owns
    ├── RenewalRefusedError        a renewal's guard said no (the instance stays)
    ├── CapacityExceededError      a new instance would pass namespace_capacity
    ├── FieldTooLongError          a field passes its byte limit (spec §4.1)
    └── StoreUnavailableError      the backend cannot be reached (Redis down, ...)

Each API maps them to HTTP in exactly one place; the store knows nothing of HTTP.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error a catalog raises on purpose."""


class InstanceNotFoundError(StoreError):
    """No instance with this id exists in the namespace."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"instance {instance_id!r} not found")
        self.instance_id = instance_id


class ReadOnlyInstanceError(InstanceNotFoundError):
    """The instance belongs to a read-only source (a catalog merged into the
    namespace): it cannot be written here. A kind of "not found", since the
    namespace's own instances do not include it, so every API that answers
    not-found for unknown ids answers the same for it."""


class RenewalRefusedError(StoreError):
    """A renewal's guard refused it (see ``CatalogWriter.renew``)."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"renewal of {instance_id!r} refused")
        self.instance_id = instance_id


class CapacityExceededError(StoreError):
    """Registering one more instance would pass the namespace capacity."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"namespace capacity of {capacity} instances reached")
        self.capacity = capacity


class FieldTooLongError(StoreError):
    """A field of the instance passes its byte limit."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__(f"{field} exceeded {limit} bytes")
        self.field = field
        self.limit = limit


class StoreUnavailableError(StoreError):
    """The storage backend could not serve the request."""
