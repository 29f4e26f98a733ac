"""Which member last wrote each instance a node holds: reconciliation by snapshot.

When a stream cannot be replayed (its reader fell a whole ring behind, or the
sender restarted, or the sender speaks the original's protocol), the reader gets
the sender's full state instead. A full state adds what the reader missed, but
says nothing of what the sender deregistered meanwhile. This map closes the gap:
an instance whose last write came from the sender, and which the sender's full
state no longer holds, was deregistered (or expired) there, so the reader
removes it too. Instances last written by anyone else are left alone: their
writer's own stream speaks for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: The member id that stands for this node's own writes.
LOCAL = ""


class Origins:
    """Namespace -> instance id -> the member whose write it holds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writers: dict[str, dict[str, str]] = {}
        self._collecting: dict[str, set[tuple[str, str]]] = {}

    def wrote(self, namespace: str, instance_id: str, member: str) -> None:
        """``member`` (or :data:`LOCAL`) wrote the instance; note it when a
        full state from ``member`` is being read."""
        with self._lock:
            self._writers.setdefault(namespace, {})[instance_id] = member
            seen = self._collecting.get(member)
            if seen is not None:
                seen.add((namespace, instance_id))

    def removed(self, namespace: str, instance_id: str) -> None:
        with self._lock:
            writers = self._writers.get(namespace)
            if writers is not None:
                writers.pop(instance_id, None)

    def begin_full_state(self, member: str) -> None:
        """A full state from ``member`` starts: collect what it holds."""
        with self._lock:
            self._collecting[member] = set()

    def end_full_state(self, member: str) -> list[tuple[str, str]]:
        """The full state from ``member`` is complete: the instances it last
        wrote here and no longer holds (forgotten here; the caller removes them)."""
        with self._lock:
            seen = self._collecting.pop(member, None)
            if seen is None:
                return []
            gone = [
                (namespace, instance_id)
                for namespace, writers in self._writers.items()
                for instance_id, writer in writers.items()
                if writer == member and (namespace, instance_id) not in seen
            ]
            for namespace, instance_id in gone:
                del self._writers[namespace][instance_id]
            return gone

    def prune(self, holds: Callable[[str, str], bool]) -> int:
        """Forget instances this node no longer holds (expired here); return how
        many. ``holds(namespace, id)`` is asked outside the lock."""
        with self._lock:
            entries = [
                (namespace, instance_id)
                for namespace, writers in self._writers.items()
                for instance_id in writers
            ]
        gone = [entry for entry in entries if not holds(*entry)]
        with self._lock:
            for namespace, instance_id in gone:
                self._writers.get(namespace, {}).pop(instance_id, None)
        return len(gone)

    def __len__(self) -> int:
        return sum(len(writers) for writers in self._writers.values())
