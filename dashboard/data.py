"""What the dashboard shows, read from a namespace's catalog (no HTTP here).

:func:`service_rows` counts each service's instances by status; :func:`instance_rows`
describes one service's instances, each with its *source*: the namespace's own
registrations (through the native or the Eureka API), or the read-only catalog
source that supplied it (Kubernetes, Eureka, file), found by walking the catalog's
wrappers to a :class:`~registry.store.merged.MergedCatalog`. A source names itself
with a ``source_label`` attribute (its class name otherwise).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Final

import orjson

from registry.api.rendering import rfc3339_ns
from registry.store.base import Catalog, CatalogReader, ForwardingCatalog
from registry.store.merged import MergedCatalog
from registry.store.records import ServiceInstance

#: Statuses with a column of their own; any other is counted under ``other``.
STATUSES: Final = ("UP", "STARTING", "OUT_OF_SERVICE", "DOWN")
OWN: Final = "own"


@dataclass(frozen=True)
class ServiceRow:
    name: str
    total: int
    by_status: dict[str, int]
    other: int


@dataclass(frozen=True)
class InstanceRow:
    id: str
    endpoint: str
    endpoint_type: str
    status: str
    tags: tuple[str, ...]
    metadata: str
    last_heartbeat: str
    #: Unix milliseconds of the deadline, or ``None`` when it never expires.
    expires_ms: int | None
    ttl: int
    source: str


def matches(record: ServiceInstance, tag: str, status: str) -> bool:
    """The filters: carries ``tag`` (if given), has ``status`` (if given)."""
    return (not tag or tag in record.tags) and (not status or record.status == status)


def service_rows(
    catalog: CatalogReader, query: str = "", tag: str = "", status: str = ""
) -> list[ServiceRow]:
    """Services whose name contains ``query`` (case-insensitively), with the counts
    of their instances that pass the tag and status filters; services left with
    no instance are left out when a filter is set."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in catalog.list_instances():
        if query.lower() in record.service_name.lower():
            counted = counts[record.service_name]
            if matches(record, tag, status):
                counted[record.status] += 1
    rows = []
    for name in sorted(counts):
        by_status = counts[name]
        total = sum(by_status.values())
        if total == 0 and (tag or status):
            continue
        shown = {key: by_status.get(key, 0) for key in STATUSES}
        rows.append(ServiceRow(name, total, shown, total - sum(shown.values())))
    return rows


def instance_rows(
    catalog: Catalog, service: str, tag: str = "", status: str = ""
) -> list[InstanceRow]:
    """The service's instances that pass the filters, by id."""
    records = [
        record
        for record in catalog.list_instances(service)
        if matches(record, tag, status)
    ]
    sources = source_labels(catalog, service)
    return [_row(record, sources) for record in sorted(records, key=lambda r: r.id)]


def _row(record: ServiceInstance, sources: dict[str, str]) -> InstanceRow:
    source = sources.get(record.id, OWN)
    if source == OWN and record.extension is not None:
        source = "own (Eureka API)"
    expires = record.expires_ns
    return InstanceRow(
        id=record.id,
        endpoint=record.endpoint.value,
        endpoint_type=record.endpoint.type,
        status=record.status,
        tags=record.tags,
        metadata=_metadata_text(record.metadata),
        last_heartbeat=rfc3339_ns(record.last_renewal_ns) if record.ttl else "",
        expires_ms=None if expires is None else expires // 1_000_000,
        ttl=record.ttl,
        source=source,
    )


def _metadata_text(metadata: bytes | None) -> str:
    if metadata is None:
        return ""
    try:
        value: Any = orjson.loads(metadata)
    except orjson.JSONDecodeError:
        return metadata.decode(errors="replace")
    if isinstance(value, dict):
        return ", ".join(f"{key}={_compact(item)}" for key, item in value.items())
    return _compact(value)


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def source_labels(catalog: Catalog, service: str) -> dict[str, str]:
    """Instance id -> the label of the read-only source that supplied it (the
    namespace's own instances are not listed)."""
    merged = _merged(catalog)
    if merged is None:
        return {}
    own = {record.id for record in merged.inner.list_instances(service)}
    labels: dict[str, str] = {}
    for source in merged.sources:
        label = str(getattr(source, "source_label", type(source).__name__))
        for record in source.list_instances(service):
            if record.id not in own:
                labels.setdefault(record.id, label)
    return labels


def _merged(catalog: Catalog) -> MergedCatalog | None:
    current: Catalog | None = catalog
    while current is not None:
        if isinstance(current, MergedCatalog):
            return current
        current = current.inner if isinstance(current, ForwardingCatalog) else None
    return None
