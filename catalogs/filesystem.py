"""The filesystem catalog: ``<dir>/<namespace>.conf`` (or ``.json``), spec §12.4.

The file holds ``{"instances": [...]}`` in the native registration format. Each
entry becomes a read-only instance with the native id, its status (``UP`` when
absent), its tags plus ``filesystem``, no TTL and no heartbeat time.

:class:`FilesystemPoller` checks every namespace's file every
:data:`POLL_INTERVAL_SECONDS` (modification time, size and inode) on its own
thread. A missing file empties the catalog; a file that cannot be read or parsed
keeps the last good content and logs one line naming the file and the position;
an entry that cannot become an instance (no endpoint, say) is skipped with a line
naming the file and the entry.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogs.snapshot import SnapshotCatalog
from catalogs.state import SourceState
from registry.services import ServiceThread
from registry.store.clock import Clock
from registry.store.records import Endpoint, ServiceInstance, instance_id, stored_json

logger = logging.getLogger(__name__)

#: How often files are checked: a changed file shows within this (plus a parse).
POLL_INTERVAL_SECONDS = 0.5
#: File names tried for a namespace, first found wins (decisions.md: both).
SUFFIXES = (".conf", ".json")
FILESYSTEM_TAG = "filesystem"


def file_namespace(namespace: str) -> bool:
    """Whether ``namespace`` can name a file of the directory (and nothing else).

    Namespaces come from tokens: ``../x`` or ``a/b`` must never read outside it.
    """
    return (
        bool(namespace)
        and namespace not in (".", "..")
        and not any(c in namespace for c in ("/", "\\", "\0"))
    )


class CatalogFileError(ValueError):
    """A catalog file that is not ``{"instances": [...]}``; ``str()`` says where."""


def parse_catalog_file(text: str, path: str) -> list[ServiceInstance]:
    """The instances of one catalog file; bad entries are skipped and logged.

    Raises :class:`CatalogFileError` when the file as a whole is unusable.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogFileError(
            f"{path}: line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    entries = document.get("instances") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise CatalogFileError(f'{path}: not an object with an "instances" array')
    instances: list[ServiceInstance] = []
    for index, entry in enumerate(entries):
        try:
            instances.append(file_instance(entry))
        except ValueError as err:
            logger.warning("catalog file %s: entry %d skipped: %s", path, index, err)
    return instances


def file_instance(entry: Any) -> ServiceInstance:
    """One native-format entry as an instance. Raises ``ValueError`` naming why."""
    if not isinstance(entry, dict):
        raise ValueError("not an object")
    service = entry.get("service_name")
    if not isinstance(service, str) or not service:
        raise ValueError("no service_name")
    endpoint = entry.get("endpoint")
    if not isinstance(endpoint, dict):
        raise ValueError("no endpoint")
    kind, value = endpoint.get("type"), endpoint.get("value")
    if not isinstance(kind, str) or not isinstance(value, str) or not value:
        raise ValueError("endpoint type or value missing")
    status = entry.get("status")
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags is not a list of strings")
    metadata = entry.get("metadata")
    where = Endpoint(kind, value)
    return ServiceInstance(
        id=instance_id(service, where),
        service_name=service,
        endpoint=where,
        status=status if isinstance(status, str) and status else "UP",
        ttl=0,
        metadata=None if metadata is None else stored_json(metadata),
        tags=(*tags, FILESYSTEM_TAG),
        registration_ns=0,
        last_renewal_ns=0,
    )


@dataclass(frozen=True, slots=True)
class _Seen:
    """What identifies a file version without reading it."""

    path: str
    mtime_ns: int
    size: int
    inode: int


class FileSource:
    """One namespace's file and the catalog it fills."""

    def __init__(self, directory: str, namespace: str, clock: Clock) -> None:
        self.directory = directory
        self.namespace = namespace
        self.catalog = SnapshotCatalog(clock, source_label="file")
        self.state = SourceState(f"filesystem:{namespace}")
        self._clock = clock
        self._seen: _Seen | None = None
        self._failed: _Seen | None = None

    def refresh(self) -> None:
        """Load the file if it changed since the last look; empty if it is gone."""
        seen = self._stat()
        now = self._clock.now_ns()
        if seen is None:
            self.catalog.replace(())
            self._seen = None
            self.state.succeeded(now, 0)
            return
        if seen == self._seen or seen == self._failed:
            return
        try:
            text = Path(seen.path).read_text(encoding="utf-8")
            instances = parse_catalog_file(text, seen.path)
        except (OSError, UnicodeDecodeError, CatalogFileError) as err:
            self._failed = seen  # one log line per bad version, not one per poll
            message = str(err) if isinstance(err, CatalogFileError) else f"{err}"
            logger.error(
                "catalog file %s kept its last good content: %s", seen.path, message
            )
            self.state.failed(now, message)
            return
        self.catalog.replace(instances)
        self._seen, self._failed = seen, None
        self.state.succeeded(now, len(instances))

    def _stat(self) -> _Seen | None:
        for suffix in SUFFIXES:
            path = os.path.join(self.directory, self.namespace + suffix)
            try:
                info = os.stat(path)
            except OSError:
                continue
            return _Seen(path, info.st_mtime_ns, info.st_size, info.st_ino)
        return None


class FilesystemPoller(ServiceThread):
    """A background service that refreshes every namespace's file source."""

    name = "catalog-filesystem"
    join_seconds = 2.0

    def __init__(
        self,
        sources: Callable[[], list[FileSource]],
        interval: float = POLL_INTERVAL_SECONDS,
    ) -> None:
        super().__init__()
        self._sources = sources
        self._interval = interval

    def run(self) -> None:
        while not self._stop.wait(self._interval):
            for source in self._sources():
                try:
                    source.refresh()
                except Exception:  # one namespace's bug must not stop the others
                    logger.exception("catalog file of %s failed", source.namespace)
