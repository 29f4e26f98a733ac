"""The values every store keeps and returns: instances and their endpoints.

Records are immutable: a store replaces a record on every change and hands out the
objects themselves (they cannot be mutated, so no copy is needed).
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

#: Byte limits of spec §4.1, checked on every registration whatever the API.
MAX_SERVICE_NAME_BYTES = 64
MAX_ENDPOINT_VALUE_BYTES = 128
MAX_STATUS_BYTES = 32
MAX_METADATA_BYTES = 1024

STATUS_UP = "UP"
STATUS_STARTING = "STARTING"
STATUS_OUT_OF_SERVICE = "OUT_OF_SERVICE"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where an instance is reached: a type (``http``, ``tcp``, ...) and a value."""

    type: str
    value: str


@dataclass(frozen=True, slots=True)
class InstanceRegistration:
    """What a client asks to register; the store adds the times."""

    id: str
    service_name: str
    endpoint: Endpoint
    status: str
    ttl: int
    #: Compact JSON text of the metadata, or ``None`` when none was supplied.
    metadata: bytes | None = None
    tags: tuple[str, ...] = ()
    #: Opaque data of the API that registered the instance (the Eureka API keeps
    #: its instance document here); the store only keeps it.
    extension: bytes | None = None


@dataclass(frozen=True, slots=True)
class ServiceInstance:
    """One registered instance as the store holds it."""

    id: str
    service_name: str
    endpoint: Endpoint
    status: str
    #: Effective TTL in whole seconds (0 for instances that never expire by TTL).
    ttl: int
    metadata: bytes | None
    tags: tuple[str, ...]
    registration_ns: int
    last_renewal_ns: int
    extension: bytes | None = None

    @property
    def expires_ns(self) -> int | None:
        """When the instance expires, or ``None`` if it never does."""
        if self.status == STATUS_OUT_OF_SERVICE or self.ttl <= 0:
            return None
        return self.last_renewal_ns + self.ttl * 1_000_000_000


def instance_id(service_name: str, endpoint: Endpoint) -> str:
    """Deterministic id of a native registration (spec §4.2).

    >>> instance_id("reviews", Endpoint("http", "10.0.0.5:9080"))
    '26634d9e31ce714e'
    """
    key = f"{service_name}/{endpoint.type}/{endpoint.value}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


_NATIVE_ID = re.compile("[0-9a-f]{16}")


def may_be_store_id(instance_id: str) -> bool:
    """Whether a namespace's own instance could have ``instance_id`` (spec §4.2).

    The store's ids are native (:func:`instance_id`: 16 lower-case hex digits) or
    Eureka's (``<APP>:<instanceId>``, always with a colon), whichever node or API
    wrote them. A read-only source none of whose ids has either shape (Kubernetes'
    ``<pod-uid>-<port>`` and ``<ipv4>-<port>``) cannot collide with them.

    >>> may_be_store_id("26634d9e31ce714e"), may_be_store_id("MYAPP:10.0.0.5")
    (True, True)
    >>> may_be_store_id("10.0.0.5-8080")
    False
    """
    return ":" in instance_id or _NATIVE_ID.fullmatch(instance_id) is not None


class ChangeKind(enum.Enum):
    """What happened to an instance, as kept in a catalog's change journal."""

    #: Registered, new or again (an upsert replaces the whole instance).
    REGISTERED = "REGISTERED"
    #: Status (and extension) changed in place.
    UPDATED = "UPDATED"
    #: Deregistered or expired.
    REMOVED = "REMOVED"


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change journal: the instance as it was after the change."""

    kind: ChangeKind
    instance: ServiceInstance
    at_ns: int
    revision: int


def stored_json(value: Any) -> bytes:
    """Compact JSON text of ``value`` sized for keeping.

    orjson's result holds on to its whole write buffer (4 KB for a 16-byte text);
    anything a store keeps gets an exact-size copy.
    """
    return bytes(memoryview(orjson.dumps(value)))
