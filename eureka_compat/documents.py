"""Eureka documents: the full registry, the delta, one application, one instance.

Documents are built as JSON-shaped trees (eureka-api.md §6) and encoded by
:mod:`eureka_compat.formats`. ``application`` and ``instance`` are always lists; an
application without instances is never emitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eureka_compat.instances import app_name, instance_tree
from eureka_compat.statuses import apps_hashcode
from registry.store.records import Change, ChangeKind, ServiceInstance

#: ``actionType`` of each journal entry kind.
ACTIONS = {
    ChangeKind.REGISTERED: "ADDED",
    ChangeKind.UPDATED: "MODIFIED",
    ChangeKind.REMOVED: "DELETED",
}


def applications(
    entries: Iterable[tuple[ServiceInstance, str]], version: str, hashcode: str
) -> dict[str, Any]:
    """``{"applications": {...}}`` of (instance, actionType) pairs, grouped by app."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for instance, action in entries:
        grouped.setdefault(app_name(instance), []).append(
            instance_tree(instance, action)
        )
    return {
        "applications": {
            "versions__delta": version,
            "apps__hashcode": hashcode,
            "application": [
                {"name": name, "instance": trees} for name, trees in grouped.items()
            ],
        }
    }


def full_registry(instances: list[ServiceInstance]) -> dict[str, Any]:
    """``GET apps``: every instance in every status; ``versions__delta`` is "1"."""
    return applications(
        ((instance, "ADDED") for instance in instances),
        "1",
        apps_hashcode(instance.status for instance in instances),
    )


def delta(
    changes: list[Change], instances: list[ServiceInstance], version: int
) -> dict[str, Any]:
    """``GET apps/delta``: the recent changes, and the hash of the *full* registry."""
    return applications(
        ((change.instance, ACTIONS[change.kind]) for change in changes),
        str(version),
        apps_hashcode(instance.status for instance in instances),
    )


def vip_registry(instances: list[ServiceInstance]) -> dict[str, Any]:
    """``GET vips/{vip}``: like the full registry, over the matching instances."""
    return applications(
        ((instance, "ADDED") for instance in instances),
        "-1",
        apps_hashcode(instance.status for instance in instances),
    )


def application(name: str, instances: list[ServiceInstance]) -> dict[str, Any]:
    return {
        "application": {
            "name": name,
            "instance": [instance_tree(instance) for instance in instances],
        }
    }


def instance(record: ServiceInstance) -> dict[str, Any]:
    return {"instance": instance_tree(record)}
