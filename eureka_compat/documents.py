"""Eureka documents: the full registry, the delta, one application, one instance.

Collections are :class:`Document` values that :mod:`eureka_compat.encoding` turns
into bytes; a single instance is a JSON-shaped tree (eureka-api.md §6) encoded by
:mod:`eureka_compat.formats`. ``application`` and ``instance`` are always lists; an
application without instances is never emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eureka_compat.encoding import Entry
from eureka_compat.instances import instance_tree
from eureka_compat.statuses import apps_hashcode
from registry.store.records import Change, ChangeKind, ServiceInstance

#: ``actionType`` of each journal entry kind.
ACTIONS = {
    ChangeKind.REGISTERED: "ADDED",
    ChangeKind.UPDATED: "MODIFIED",
    ChangeKind.REMOVED: "DELETED",
}


@dataclass(frozen=True)
class Document:
    """An ``applications`` document before encoding."""

    entries: list[Entry]
    version: str
    hashcode: str


def full_registry(instances: list[ServiceInstance]) -> Document:
    """``GET apps``: every instance in every status; ``versions__delta`` is "1"."""
    return Document(
        [(instance, "ADDED") for instance in instances],
        "1",
        apps_hashcode(instance.status for instance in instances),
    )


def delta(
    changes: list[Change], instances: list[ServiceInstance], version: int
) -> Document:
    """``GET apps/delta``: the recent changes, and the hash of the *full* registry."""
    return Document(
        [(change.instance, ACTIONS[change.kind]) for change in changes],
        str(version),
        apps_hashcode(instance.status for instance in instances),
    )


def vip_registry(instances: list[ServiceInstance]) -> Document:
    """``GET vips/{vip}``: like the full registry, over the matching instances."""
    return Document(
        [(instance, "ADDED") for instance in instances],
        "-1",
        apps_hashcode(instance.status for instance in instances),
    )


def instance(record: ServiceInstance) -> dict[str, Any]:
    return {"instance": instance_tree(record)}
