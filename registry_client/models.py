"""The values the client hands out: instances as the registry lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Instance:
    """One instance of a service, as ``GET /api/v1/instances`` lists it."""

    id: str
    service_name: str
    endpoint_type: str
    #: ``host:port``, a URL, ...: whatever the instance registered.
    endpoint: str
    status: str
    tags: tuple[str, ...]
    metadata: Any
    #: Seconds; 0 for instances that do not expire (catalog sources).
    ttl: int
    #: RFC 3339 text, as the registry sends it ("" when absent).
    last_heartbeat: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Instance:
        endpoint = item.get("endpoint") or {}
        return cls(
            id=str(item["id"]),
            service_name=str(item.get("service_name", "")),
            endpoint_type=str(endpoint.get("type", "")),
            endpoint=str(endpoint.get("value", "")),
            status=str(item.get("status", "")),
            tags=tuple(item.get("tags") or ()),
            metadata=item.get("metadata"),
            ttl=int(item.get("ttl", 0)),
            last_heartbeat=str(item.get("last_heartbeat", "")),
        )

    def has_tags(self, tags: tuple[str, ...]) -> bool:
        """Whether the instance carries every tag of ``tags``."""
        return all(tag in self.tags for tag in tags)
