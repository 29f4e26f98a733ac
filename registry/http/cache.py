"""Rendered response bodies, cached as bytes against a namespace revision.

Reads dominate a registry. A listing is rendered once per (namespace, query) and
store revision; until the revision moves, every request is answered from these
bytes, their ETag and (on demand) their gzip form. A body served from here travels
as a :class:`CachedBodyResponse`, which carries its :class:`CachedBody` as a typed
attribute: the gzip middleware checks ``isinstance`` and reuses the gzip form.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from registry.http.headers import BytesResponse, set_header

#: What a cached body is valid for: store revisions (plus anything else that
#: changes the body, such as a time bucket), compared as a tuple.
Revision = tuple[int, ...]
#: ``sys.getsizeof`` of an exact-size bytes object beyond its length.
_BYTES_OVERHEAD = sys.getsizeof(b"")


class CachedBody:
    """One rendered body with its validator; the gzip form is made on first use."""

    __slots__ = ("_gzipped", "body", "etag", "revision")

    def __init__(self, revision: Revision, body: bytes) -> None:
        self.revision = revision
        # Cached for long: keep an exact-size copy (see records.stored_json) of
        # a body with spare room (orjson's); a joined body is exact already, and
        # element caches may hold spans of it (see fragments), so it is kept.
        if sys.getsizeof(body) - len(body) > _BYTES_OVERHEAD:
            body = bytes(memoryview(body))
        self.body = body
        # Weak: the same validator stands for the identity and the gzip encoding.
        self.etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        self._gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip_bytes(self.body)
        return self._gzipped


class CachedBodyResponse(BytesResponse):
    """A response whose body, ETag and gzip form come from the response cache."""

    def __init__(self, entry: CachedBody, content_type: str) -> None:
        super().__init__(entry.body, 200, content_type)
        set_header(self, "ETag", entry.etag)
        #: The cache entry of the body (its gzip form is made once, then reused).
        self.cached = entry


def gzip_bytes(body: bytes) -> bytes:
    # Level 5: close to 6's ratio on JSON at clearly less CPU.
    return gzip.compress(body, compresslevel=5, mtime=0)


class ResponseCache:
    """A bounded LRU of :class:`CachedBody`, shared by every namespace."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: OrderedDict[Hashable, CachedBody] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()
        # One render at a time per key (striped): when a change makes a big body
        # stale, the requests that arrive meanwhile wait for that one render
        # instead of all rendering it again.
        self._render_locks = [threading.Lock() for _ in range(64)]

    def get_or_render(
        self, key: Hashable, revision: Revision, render: Callable[[], bytes]
    ) -> CachedBody:
        """The body for ``key`` at ``revision``, rendering it if the cache is stale.

        ``revision`` must be read *before* ``render`` looks at the store: a change
        racing the render then only costs one more render, never a stale answer.
        """
        entry = self._fresh(key, revision)
        if entry is not None:
            return entry
        with self._render_locks[hash(key) % len(self._render_locks)]:
            entry = self._fresh(key, revision)  # rendered while we waited?
            if entry is not None:
                return entry
            entry = CachedBody(revision, render())
            self._store(key, revision, entry)
        return entry

    def _fresh(self, key: Hashable, revision: Revision) -> CachedBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.revision != revision:
                return None
            self._entries.move_to_end(key)
            return entry

    def _store(self, key: Hashable, revision: Revision, entry: CachedBody) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
