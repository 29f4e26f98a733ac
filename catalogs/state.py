"""What each source reports: synced or not, its last error, its last success.

A :class:`SourceState` belongs to one source (one namespace's Kubernetes watch,
the Eureka mirror, one namespace's file). The source's thread records outcomes;
``/uptime`` (and, later, a metrics exporter) read :meth:`SourceState.report`.
Updates replace immutable values, so a reader never sees half an update.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source's state at one moment. Times are Unix nanoseconds, 0 = never."""

    synced: bool = False
    last_success_ns: int = 0
    last_error: str = ""
    last_error_ns: int = 0
    successes: int = 0
    errors: int = 0
    instances: int = 0


class SourceState:
    """The mutable holder of a source's :class:`SourceStatus`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._status = SourceStatus()
        self._lock = threading.Lock()

    @property
    def status(self) -> SourceStatus:
        return self._status

    def succeeded(self, now_ns: int, instances: int) -> None:
        """The source's content is current (a list, a fetch, a parse worked)."""
        with self._lock:
            s = self._status
            self._status = replace(
                s,
                synced=True,
                last_success_ns=now_ns,
                successes=s.successes + 1,
                instances=instances,
            )

    def failed(self, now_ns: int, error: str, keep_synced: bool = False) -> None:
        """An attempt failed; the last good content stays served.

        ``keep_synced`` says the content is still current despite the error (an
        unparsable file whose last good version is still the one on disk is not).
        """
        with self._lock:
            s = self._status
            self._status = replace(
                s,
                synced=s.synced and keep_synced,
                last_error=error,
                last_error_ns=now_ns,
                errors=s.errors + 1,
            )

    def report(self) -> dict[str, Any]:
        """The ``/uptime`` properties of this source."""
        s = self._status
        return {
            "synced": s.synced,
            "instances": s.instances,
            "last_success": _time_text(s.last_success_ns),
            "last_error": s.last_error,
            "last_error_time": _time_text(s.last_error_ns),
            "successes": s.successes,
            "errors": s.errors,
        }


def _time_text(ns: int) -> str:
    if not ns:
        return ""
    stamp = datetime.fromtimestamp(ns / 1e9, tz=UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
