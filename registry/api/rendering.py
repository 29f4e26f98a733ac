"""Native JSON representations of instances (spec §5, "Instance object").

Members appear in the original's order and are omitted when empty. Metadata is kept
as compact JSON text and spliced in without a decode/encode round trip.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Hashable, Iterable
from typing import Any

import orjson

from registry.http.fragments import ElementCache
from registry.store.records import ServiceInstance

INSTANCE_FIELDS = (
    "id",
    "service_name",
    "endpoint",
    "ttl",
    "status",
    "metadata",
    "last_heartbeat",
    "links",
    "tags",
)
ALWAYS_PROJECTED = frozenset({"id", "endpoint"})

#: Go's zero ``time.Time`` as RFC 3339, shown for "no heartbeat" (spec §12.1).
ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339_ns(timestamp_ns: int) -> str:
    """RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano).

    0 means "never" (catalog instances have no heartbeat): Go's zero time.
    """
    if timestamp_ns == 0:
        return ZERO_TIME
    seconds, fraction = divmod(timestamp_ns, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fraction:
        text += f".{fraction:09d}".rstrip("0")
    return text + "Z"


def instance_members(
    instance: ServiceInstance, fields: Collection[str] | None = None
) -> dict[str, Any]:
    """The JSON members of one instance, projected to ``fields`` when given."""
    members: dict[str, Any] = {}

    def wanted(name: str) -> bool:
        return fields is None or name in fields or name in ALWAYS_PROJECTED

    members["id"] = instance.id
    if wanted("service_name") and instance.service_name:
        members["service_name"] = instance.service_name
    endpoint = instance.endpoint
    members["endpoint"] = (
        {"type": endpoint.type, "value": endpoint.value}
        if endpoint.type
        else {"value": endpoint.value}
    )
    if wanted("ttl") and instance.ttl:
        members["ttl"] = instance.ttl
    if wanted("status") and instance.status:
        members["status"] = instance.status
    if wanted("metadata") and instance.metadata is not None:
        members["metadata"] = orjson.Fragment(instance.metadata)
    if wanted("last_heartbeat"):
        members["last_heartbeat"] = rfc3339_ns(instance.last_renewal_ns)
    if wanted("tags") and instance.tags:
        members["tags"] = instance.tags
    return members


def render_instances(
    instances: Iterable[ServiceInstance], fields: Collection[str] | None = None
) -> list[dict[str, Any]]:
    return [instance_members(instance, fields) for instance in instances]


def encode_instances(
    elements: ElementCache,
    namespace: str,
    instances: Iterable[ServiceInstance],
    head: bytes = b"",
    tail: bytes = b"",
    complete: bool = False,
) -> bytes:
    """``head``, the JSON array of ``instances`` as full objects, ``tail``; each
    object encoded once per record (the runtime's element cache, scoped by
    namespace). ``complete``: every instance of the namespace is listed, so the
    cache keeps the objects as spans of this body (see :mod:`.fragments`)."""
    body = elements.body(namespace, _encode_full, complete)
    body.add(head + b"[")
    body.add_elements((i.id, i) for i in instances)
    body.add(b"]" + tail)
    return body.build()


def _encode_full(key: Hashable, instance: ServiceInstance) -> bytes:
    return orjson.dumps(instance_members(instance))
