"""Encoded per-instance elements, reused while their record is unchanged.

A change makes a listing stale but touches one instance: the next render encodes
that one again and joins the others' cached bytes. Records are immutable values, so
"unchanged" is equality (identity, for the in-memory store, which is the fast path).

Entries of removed instances linger until their namespace's entries pass twice the
largest batch encoded for it (at least :data:`FLOOR`); then the namespace starts
afresh. Memory stays proportional to the registry, whatever the churn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable

from registry.store.records import ServiceInstance

#: Entries a namespace may hold before its stale ones are dropped, whatever its size.
FLOOR = 1024

#: Encodes the record of an element; gets the element's key too.
Encode = Callable[[Hashable, ServiceInstance], bytes]


class _Namespace:
    __slots__ = ("entries", "peak")

    def __init__(self) -> None:
        self.entries: dict[Hashable, tuple[ServiceInstance, bytes]] = {}
        self.peak = 0


class ElementCache:
    """Per namespace (any hashable scope, such as namespace and format): element
    key -> (record it was encoded from, its bytes)."""

    def __init__(self) -> None:
        self._namespaces: dict[Hashable, _Namespace] = {}
        self._lock = threading.Lock()

    def encode_all(
        self,
        namespace: Hashable,
        items: Iterable[tuple[Hashable, ServiceInstance]],
        encode: Encode,
    ) -> list[bytes]:
        """The encoded bytes of every (key, record), encoding only what changed."""
        space = self._space(namespace)
        entries = space.entries
        encoded = []
        for key, instance in items:
            cached = entries.get(key)
            if cached is None or (cached[0] is not instance and cached[0] != instance):
                cached = (instance, bytes(memoryview(encode(key, instance))))
                entries[key] = cached
            encoded.append(cached[1])
        space.peak = max(space.peak, len(encoded))
        if len(entries) > max(FLOOR, 2 * space.peak):
            entries.clear()  # drops the stale entries of removed instances
        return encoded

    def _space(self, namespace: Hashable) -> _Namespace:
        space = self._namespaces.get(namespace)
        if space is None:
            with self._lock:
                space = self._namespaces.setdefault(namespace, _Namespace())
        return space
