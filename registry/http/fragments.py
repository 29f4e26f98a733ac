"""Encoded per-instance elements, reused while their record is unchanged.

A change makes a listing stale but touches one instance: the next render encodes
that one again and joins the others' cached bytes. Records are immutable values, so
"unchanged" is equality (identity, for the in-memory store, which is the fast path).

An element not used for :data:`IDLE_SECONDS` is dropped (checked at most once a
:data:`PRUNE_EVERY_SECONDS` per scope), so entries of removed instances do not pile
up under churn while the elements of every listing clients still read stay warm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable

from registry.store.records import ServiceInstance

IDLE_SECONDS = 600.0
PRUNE_EVERY_SECONDS = 60.0

#: Encodes the record of an element; gets the element's key too.
Encode = Callable[[Hashable, ServiceInstance], bytes]


class _Entry:
    __slots__ = ("data", "instance", "used")

    def __init__(self, instance: ServiceInstance, data: bytes, used: float) -> None:
        self.instance = instance  # the record the bytes were encoded from
        self.data = data
        self.used = used


class _Scope:
    __slots__ = ("entries", "pruned_at")

    def __init__(self, now: float) -> None:
        self.entries: dict[Hashable, _Entry] = {}
        self.pruned_at = now


class ElementCache:
    """Per scope (a namespace, or namespace and format): element key -> bytes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._scopes: dict[Hashable, _Scope] = {}
        self._lock = threading.Lock()

    def encode_all(
        self,
        scope: Hashable,
        items: Iterable[tuple[Hashable, ServiceInstance]],
        encode: Encode,
    ) -> list[bytes]:
        """The encoded bytes of every (key, record), encoding only what changed."""
        now = self._clock()
        space = self._scope(scope, now)
        entries = space.entries
        encoded: list[bytes] = []
        for key, instance in items:
            entry = entries.get(key)
            if entry is None or (
                entry.instance is not instance and entry.instance != instance
            ):
                entry = _Entry(instance, bytes(memoryview(encode(key, instance))), now)
                entries[key] = entry
            else:
                entry.used = now
            encoded.append(entry.data)
        if now - space.pruned_at > PRUNE_EVERY_SECONDS:
            self._prune(space, now)
        return encoded

    def size(self, scope: Hashable) -> int:
        space = self._scopes.get(scope)
        return len(space.entries) if space is not None else 0

    def _scope(self, scope: Hashable, now: float) -> _Scope:
        space = self._scopes.get(scope)
        if space is None:
            with self._lock:
                space = self._scopes.setdefault(scope, _Scope(now))
        return space

    @staticmethod
    def _prune(space: _Scope, now: float) -> None:
        space.pruned_at = now
        horizon = now - IDLE_SECONDS
        stale = [key for key, entry in space.entries.items() if entry.used < horizon]
        for key in stale:
            space.entries.pop(key, None)
