"""Encoded per-instance elements, reused while their record is unchanged.

A change makes a listing stale but touches one instance: the next render encodes
that one again and copies the others' cached bytes. Records are immutable values,
so "unchanged" is equality (identity, for the in-memory store, which is the fast
path).

Memory: a listing of every element of a scope (``complete``: the native listing,
the Eureka full registry) is itself the store of its elements. It is written as it
is built (a new element goes straight into it), then each entry points at its span
in that body instead of keeping a copy, and the scope's entries it did not list are
dropped, so the previous body can go. Bodies that list part of a scope (one
service, the delta) keep the elements they encode as bytes of their own, until the
next complete body takes them in. A ``compressed`` body is written through gzip as
it is built, so it is never whole in its plain form (it is kept so, see
:mod:`registry.http.cache`); it uses the elements it finds and keeps none.

An element not used for :data:`IDLE_SECONDS` is dropped (checked at most once a
:data:`PRUNE_EVERY_SECONDS` per scope), so entries of removed instances do not pile
up under churn while the elements of every listing clients still read stay warm.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Hashable, Iterable

from registry.http.cache import GzipWriter
from registry.store.records import ServiceInstance

IDLE_SECONDS = 600.0
PRUNE_EVERY_SECONDS = 60.0

#: Encodes the record of an element; gets the element's key too.
Encode = Callable[[Hashable, ServiceInstance], bytes]
#: An element as a body takes it: its own bytes, or its span of a listing.
Part = bytes | memoryview
_SPAN_BITS = 32
_SPAN_MASK = (1 << _SPAN_BITS) - 1


class _Entry:
    """An element: its own bytes (``span`` None), or ``data[start:start+length]``
    of a complete body, ``span`` packing ``start << 32 | length`` (one int).

    Only ``used`` ever changes: taking an element into a body puts a new entry in
    place, so a reader never mixes one body's span with another's bytes.
    """

    __slots__ = ("data", "instance", "span", "used")

    def __init__(
        self,
        instance: ServiceInstance,
        data: bytes,
        used: float,
        span: int | None = None,
    ) -> None:
        self.instance = instance  # the record the bytes were encoded from
        self.data = data
        self.span = span
        self.used = used

    def part(self) -> Part:
        if self.span is None:
            return self.data
        start = self.span >> _SPAN_BITS
        return memoryview(self.data)[start : start + (self.span & _SPAN_MASK)]

    def own_bytes(self) -> bytes:
        part = self.part()
        return part if isinstance(part, bytes) else part.tobytes()


class _Scope:
    __slots__ = ("entries", "pruned_at")

    def __init__(self, now: float) -> None:
        self.entries: dict[Hashable, _Entry] = {}
        self.pruned_at = now

    def cached(self, key: Hashable, instance: ServiceInstance) -> _Entry | None:
        """The entry of ``key`` if it was encoded from this record."""
        entry = self.entries.get(key)
        if entry is None or (
            entry.instance is not instance and entry.instance != instance
        ):
            return None
        return entry

    def peek(
        self, key: Hashable, instance: ServiceInstance, encode: Encode, now: float
    ) -> Part:
        """The element of ``key``: the cached one if it was encoded from this
        record, else encoded (and not kept)."""
        entry = self.cached(key, instance)
        if entry is None:
            return encode(key, instance)
        entry.used = now
        return entry.part()

    def entry(
        self, key: Hashable, instance: ServiceInstance, encode: Encode, now: float
    ) -> _Entry:
        """The entry of ``key``, encoded (and kept) unless cached for the record."""
        entry = self.cached(key, instance)
        if entry is None:
            entry = _Entry(instance, bytes(memoryview(encode(key, instance))), now)
            self.entries[key] = entry
        else:
            entry.used = now
        return entry


class BodyBuilder:
    """One body of literal bytes and elements (see :meth:`ElementCache.body`).

    Written as it goes: a complete body never holds its new elements twice.
    """

    __slots__ = ("_buffer", "_complete", "_encode", "_now", "_placed", "_space")

    def __init__(
        self,
        space: _Scope,
        encode: Encode,
        now: float,
        complete: bool,
        compressed: bool,
    ) -> None:
        self._space = space
        self._encode = encode
        self._now = now
        self._complete = complete and not compressed
        self._buffer: io.BytesIO | GzipWriter = (
            GzipWriter() if compressed else io.BytesIO()
        )
        #: Complete bodies: (key, record, the entry found then, offset, length).
        self._placed: list[
            tuple[Hashable, ServiceInstance, _Entry | None, int, int]
        ] = []

    def add(self, data: bytes) -> None:
        self._buffer.write(data)

    def add_elements(
        self,
        items: Iterable[tuple[Hashable, ServiceInstance]],
        separator: bytes = b",",
    ) -> None:
        """The element of every (key, record), ``separator`` between them,
        encoding only what changed."""
        write, tell = self._buffer.write, self._buffer.tell
        space, encode, now = self._space, self._encode, self._now
        placed = self._placed
        keep = type(self._buffer) is io.BytesIO  # a compressed body keeps none
        first = True
        for key, instance in items:
            if separator and not first:
                write(separator)
            first = False
            if not self._complete:
                if keep:
                    write(space.entry(key, instance, encode, now).part())
                else:
                    write(space.peek(key, instance, encode, now))
                continue
            entry = space.entries.get(key)
            if entry is None or (
                entry.instance is not instance and entry.instance != instance
            ):
                data: Part = encode(key, instance)
            else:
                entry.used = now
                data = entry.part()
            offset = tell()
            placed.append((key, instance, entry, offset, write(data)))

    def build(self) -> bytes:
        """The body (a compressed one's gzip form); a complete one becomes the
        home of its elements."""
        ElementCache.maybe_prune(self._space, self._now)
        if isinstance(self._buffer, GzipWriter):
            return self._buffer.finish()
        body = self._buffer.getvalue()
        self._buffer = io.BytesIO()
        if self._complete:
            self._take_in(body)
        return body

    def _take_in(self, body: bytes) -> None:
        entries = self._space.entries
        kept: dict[Hashable, _Entry] = {}
        for key, instance, seen, offset, length in self._placed:
            current = entries.get(key)
            # Unless another render put another record's element in place since.
            if current is None or current is seen or current.instance is instance:
                span = offset << _SPAN_BITS | length
                current = _Entry(instance, body, self._now, span)
            kept[key] = current
        self._space.entries = kept
        self._placed = []


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
        space = self._space(scope, now)
        found = [
            space.entry(key, instance, encode, now).own_bytes()
            for key, instance in items
        ]
        self.maybe_prune(space, now)
        return found

    def body(
        self,
        scope: Hashable,
        encode: Encode,
        complete: bool = False,
        compressed: bool = False,
    ) -> BodyBuilder:
        """A body of literal bytes and elements of ``scope``.

        ``complete``: the body lists every element of the scope and becomes their
        home. ``compressed``: built as gzip, it keeps none of the elements it
        encodes and is no home (see the module docstring).
        """
        now = self._clock()
        return BodyBuilder(self._space(scope, now), encode, now, complete, compressed)

    def size(self, scope: Hashable) -> int:
        space = self._scopes.get(scope)
        return len(space.entries) if space is not None else 0

    def _space(self, scope: Hashable, now: float) -> _Scope:
        space = self._scopes.get(scope)
        if space is None:
            with self._lock:
                space = self._scopes.setdefault(scope, _Scope(now))
        return space

    @staticmethod
    def maybe_prune(space: _Scope, now: float) -> None:
        """Drop the scope's elements idle for :data:`IDLE_SECONDS` (at most once a
        :data:`PRUNE_EVERY_SECONDS`)."""
        if now - space.pruned_at <= PRUNE_EVERY_SECONDS:
            return
        space.pruned_at = now
        horizon = now - IDLE_SECONDS
        entries = space.entries
        stale = [key for key, entry in entries.items() if entry.used < horizon]
        for key in stale:
            entries.pop(key, None)
