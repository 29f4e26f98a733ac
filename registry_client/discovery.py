"""Discovery with a local cache: conditional requests, and a last-good copy.

Each service's instances are fetched with ``GET /api/v1/instances?service_name=``
(every status; the client filters) and kept with the answer's ``ETag``. A lookup
older than ``max_age`` seconds asks again with ``If-None-Match``: a 304 costs the
registry nothing to render and the client nothing to parse. When the registry
cannot be reached, the last good copy is served (marked ``stale``) until it can.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

from registry_client.errors import NoInstanceError, RegistryUnavailableError
from registry_client.models import Instance
from registry_client.transport import Transport

Strategy = Literal["round_robin", "random"]
STATUS_UP = "UP"


@dataclass
class Snapshot:
    """What the cache holds for one service."""

    instances: tuple[Instance, ...]
    etag: str
    #: ``time.monotonic()`` of the last answer (200 or 304).
    checked_at: float
    #: The last revalidation failed: this is the last good copy.
    stale: bool = False
    #: Status of the last answer: 200 (new list) or 304 (unchanged).
    last_status: int = 200


@dataclass
class _Cursor:
    counter: Iterator[int] = field(default_factory=itertools.count)


class ServiceCache:
    """Instances per service, fresh within ``max_age`` seconds (thread-safe)."""

    def __init__(self, transport: Transport, max_age: float) -> None:
        self._transport = transport
        self.max_age = max_age
        self._snapshots: dict[str, Snapshot] = {}
        self._cursors: dict[tuple[str, tuple[str, ...]], _Cursor] = {}
        self._lock = threading.Lock()

    def snapshot(self, service: str) -> Snapshot:
        """The service's snapshot, revalidated if older than ``max_age``.

        Raises :class:`RegistryUnavailableError` only when the registry cannot be
        reached and there is no copy yet.
        """
        with self._lock:
            known = self._snapshots.get(service)
        if known is not None and time.monotonic() - known.checked_at < self.max_age:
            return known
        try:
            fresh = self._fetch(service, known)
        except RegistryUnavailableError:
            if known is None:
                raise
            known.stale = True
            return known
        with self._lock:
            self._snapshots[service] = fresh
        return fresh

    def _fetch(self, service: str, known: Snapshot | None) -> Snapshot:
        path = "/api/v1/instances?" + urlencode({"service_name": service})
        headers = {"If-None-Match": known.etag} if known and known.etag else {}
        answer = self._transport.request("GET", path, headers=headers)
        now = time.monotonic()
        if answer.status == 304 and known is not None:
            return Snapshot(known.instances, known.etag, now, last_status=304)
        items = answer.json()["instances"]
        instances = tuple(Instance.from_json(item) for item in items)
        return Snapshot(instances, answer.headers.get("etag", ""), now)

    def instances(
        self, service: str, tags: tuple[str, ...] = (), status: str | None = STATUS_UP
    ) -> list[Instance]:
        """The service's instances with every tag of ``tags`` and ``status``
        (``None``: any status)."""
        return [
            instance
            for instance in self.snapshot(service).instances
            if instance.has_tags(tags) and (status is None or instance.status == status)
        ]

    def pick(
        self,
        service: str,
        tags: tuple[str, ...] = (),
        strategy: Strategy = "round_robin",
    ) -> Instance:
        """One UP instance with ``tags``: in turn, or at random. Raises
        :class:`NoInstanceError` when there is none."""
        candidates = sorted(self.instances(service, tags), key=lambda i: i.id)
        if not candidates:
            raise NoInstanceError(service, tags)
        if strategy == "random":
            return random.choice(candidates)
        if strategy != "round_robin":
            raise ValueError(f"unknown strategy {strategy!r}: round_robin or random")
        with self._lock:
            cursor = self._cursors.setdefault((service, tags), _Cursor())
            turn = next(cursor.counter)
        return candidates[turn % len(candidates)]
