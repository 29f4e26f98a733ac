"""Remote Eureka documents as read-only instances (spec §12.3, §6.3.1).

Each remote instance is translated exactly as a registration through our own
Eureka API (:func:`eureka_compat.instances.parse_registration`): id
``<APP>:<instanceId>``, endpoint from the ports, tags from ``amalgam8.tags``, the
Eureka document kept as the extension (so VIP queries match and the instance renders
with its own fields). The TTL is the remote ``durationInSecs`` (not clamped), the
heartbeat time the remote ``lastRenewalTimestamp`` and the registration time the
remote ``registrationTimestamp``.

Functions raise :class:`EurekaDocumentError` when a document is not an
``applications`` document; an instance that cannot be translated is skipped in a
full registry and fails a delta (the caller then fetches everything).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from eureka_compat.instances import EurekaRegistrationError, parse_registration
from eureka_compat.statuses import apps_hashcode
from registry.store.records import ServiceInstance

logger = logging.getLogger(__name__)


class EurekaDocumentError(ValueError):
    """A body that is not a usable ``{"applications": {...}}`` document."""


@dataclass(frozen=True, slots=True)
class Applications:
    """A parsed ``applications`` document."""

    version: str
    hashcode: str
    #: (actionType, instance tree) of every instance, in document order.
    entries: tuple[tuple[str, Mapping[str, Any]], ...]


def parse_applications(document: Any) -> Applications:
    """The instances of ``{"applications": {...}}``; arrays or single objects."""
    body = document.get("applications") if isinstance(document, Mapping) else None
    if not isinstance(body, Mapping):
        raise EurekaDocumentError('not an {"applications": {...}} document')
    entries = []
    for application in _items(body.get("application")):
        if not isinstance(application, Mapping):
            raise EurekaDocumentError("an application is not an object")
        for tree in _items(application.get("instance")):
            if not isinstance(tree, Mapping):
                raise EurekaDocumentError("an instance is not an object")
            entries.append((str(tree.get("actionType") or "ADDED"), tree))
    return Applications(
        version=str(body.get("versions__delta", "")),
        hashcode=str(body.get("apps__hashcode", "")),
        entries=tuple(entries),
    )


def remote_instance(tree: Mapping[str, Any]) -> ServiceInstance:
    """One remote instance as a store instance. Raises ``EurekaRegistrationError``."""
    lease = tree.get("leaseInfo")
    lease = lease if isinstance(lease, Mapping) else {}
    updated_ms = _millis(tree.get("lastUpdatedTimestamp"))
    parsed = parse_registration(
        {"instance": tree}, str(tree.get("app") or ""), _unclamped, updated_ms
    )
    registration = parsed.registration
    return ServiceInstance(
        id=registration.id,
        service_name=registration.service_name,
        endpoint=registration.endpoint,
        status=registration.status,
        ttl=registration.ttl,
        metadata=registration.metadata,
        tags=registration.tags,
        registration_ns=_millis(lease.get("registrationTimestamp")) * 1_000_000,
        last_renewal_ns=_millis(lease.get("lastRenewalTimestamp")) * 1_000_000,
        extension=registration.extension,
    )


def full_registry(applications: Applications) -> dict[str, ServiceInstance]:
    """Every translatable instance by id; the others are skipped with a log line."""
    instances: dict[str, ServiceInstance] = {}
    for _, tree in applications.entries:
        try:
            record = remote_instance(tree)
        except EurekaRegistrationError as err:
            logger.warning(
                "remote Eureka instance %s/%s skipped: %s",
                tree.get("app"),
                tree.get("instanceId"),
                err,
            )
            continue
        instances[record.id] = record
    return instances


def apply_delta(
    instances: Mapping[str, ServiceInstance], delta: Applications
) -> dict[str, ServiceInstance]:
    """``instances`` with the delta applied. Raises ``EurekaRegistrationError``."""
    result = dict(instances)
    for action, tree in delta.entries:
        record = remote_instance(tree)
        if action == "DELETED":
            result.pop(record.id, None)
        else:  # ADDED, MODIFIED
            result[record.id] = record
    return result


def local_hashcode(instances: Mapping[str, ServiceInstance]) -> str:
    """Eureka's ``apps__hashcode`` of ``instances`` (``DOWN_1_UP_3_``)."""
    return apps_hashcode(record.status for record in instances.values())


def _items(value: Any) -> Iterator[Any]:
    """An array member as Eureka may send it: a list, one object, or nothing."""
    if isinstance(value, list):
        yield from value
    elif value is not None:
        yield value


def _millis(value: Any) -> int:
    """A millisecond timestamp given as a number or as text; 0 when unusable."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return max(number, 0)


def _unclamped(ttl: int) -> int:
    return ttl
