"""Rendered response bodies, cached as bytes against a namespace revision.

Reads dominate a registry. A listing is rendered once per (namespace, query) and
store revision; until the revision moves, every request is answered from these
bytes, their ETag and (on demand) their gzip form. A body served from here travels
as a :class:`CachedBodyResponse`, which carries its :class:`CachedBody` as a typed
attribute: the gzip middleware checks ``isinstance`` and reuses the gzip form.

A body can be kept **compressed at rest** (``compressed=True``): only its gzip form
stays in memory, and a client that does not take gzip gets it inflated as it is
sent, in pieces of :data:`INFLATED_PIECE_BYTES` (never whole), by ISA-L's inflate
(``isal``, zlib's interface): a third of zlib's CPU, checksum included.
The Eureka full registry is kept so: it is the largest body (about 0.7 KB per
instance as JSON, 1 KB as XML), every Eureka client asks for gzip, and it is
rendered again every 30 seconds anyway (it shows renewal times).
"""

from __future__ import annotations

import hashlib
import struct
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator

from django.http import HttpResponse
from isal import isal_zlib

from registry.http.headers import BytesResponse, set_header

#: What a cached body is valid for: store revisions (plus anything else that
#: changes the body, such as a time bucket), compared as a tuple.
Revision = tuple[int, ...]
#: Close to 6's ratio on JSON at clearly less CPU.
GZIP_LEVEL = 5
#: Bodies shorter than this are sent as they are even when gzip is acceptable.
GZIP_MIN_BYTES = 256
#: ``zlib`` window bits that read (only) the gzip format.
_GZIP_WBITS = 16 + zlib.MAX_WBITS
#: The pieces a body kept compressed is inflated in, for a client without gzip:
#: about three times cheaper than inflating 7 MB at once, and each piece goes out
#: while it is in the CPU's cache.
INFLATED_PIECE_BYTES = 256 * 1024
#: The least gzip input :meth:`CachedBody.pieces` inflates a piece from.
_MIN_INFLATE_STEP = 1024
#: ``sys.getsizeof`` of an exact-size bytes object beyond its length.
_BYTES_OVERHEAD = sys.getsizeof(b"")


class GzipWriter:
    """Takes a body piece by piece (like ``io.BytesIO``) and keeps only its gzip
    form: a body kept compressed is never whole in its plain form, not even while
    it is rendered."""

    __slots__ = ("_compressor", "_length", "_parts")

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
        self._parts: list[bytes] = []
        self._length = 0

    def write(self, data: bytes | memoryview) -> int:
        compressed = self._compressor.compress(data)
        if compressed:
            self._parts.append(compressed)
        self._length += len(data)
        return len(data)

    def tell(self) -> int:
        """How many plain bytes were written."""
        return self._length

    def finish(self) -> bytes:
        """The gzip form of everything written (the writer is done)."""
        self._parts.append(self._compressor.flush())
        gzipped = b"".join(self._parts)
        self._parts = []
        return gzipped


class CachedBody:
    """One rendered body with its validator; the gzip form is made on first use.

    ``compressed``: ``body`` is the gzip form (a :class:`GzipWriter`'s), and the
    entry keeps nothing else; :attr:`body` then inflates it on every read.
    """

    __slots__ = ("_gzipped", "_plain", "etag", "revision")

    def __init__(
        self, revision: Revision, body: bytes, compressed: bool = False
    ) -> None:
        self.revision = revision
        # Weak: the same validator stands for the identity and the gzip encoding
        # (of the form kept: a compressed body's gzip form is as deterministic).
        self.etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        self._gzipped: bytes | None = None
        self._plain: bytes | None = None
        if compressed:
            self._gzipped = body
            # A body too small to be worth gzip is kept and sent plain.
            inflater = isal_zlib.decompressobj(_GZIP_WBITS)
            head = inflater.decompress(body, GZIP_MIN_BYTES)
            if not inflater.eof or len(head) >= GZIP_MIN_BYTES:
                return
            body, self._gzipped = head, None
        # Cached for long: keep an exact-size copy (see records.stored_json) of
        # a body with spare room (orjson's); a joined body is exact already, and
        # element caches may hold spans of it (see fragments), so it is kept.
        if sys.getsizeof(body) - len(body) > _BYTES_OVERHEAD:
            body = bytes(memoryview(body))
        self._plain = body

    @property
    def compressed(self) -> bool:
        """Kept as gzip only: :attr:`body` inflates it on every read."""
        return self._plain is None

    @property
    def body(self) -> bytes:
        """The identity body."""
        if self._plain is not None:
            return self._plain
        assert self._gzipped is not None
        # Sized at once: growing the result as it inflates costs a third more.
        return isal_zlib.decompress(self._gzipped, _GZIP_WBITS, self.length)

    @property
    def length(self) -> int:
        """The identity body's length (a gzip form ends with it, modulo 2**32)."""
        if self._plain is not None:
            return len(self._plain)
        assert self._gzipped is not None
        length: int = struct.unpack("<I", self._gzipped[-4:])[0]
        return length

    def pieces(self, size: int = INFLATED_PIECE_BYTES) -> Iterator[bytes]:
        """The identity body in pieces of at most ``size`` bytes, a compressed one
        inflated as they are taken."""
        if self._plain is not None:
            yield self._plain
            return
        assert self._gzipped is not None
        gzipped = memoryview(self._gzipped)
        # Fed in steps that inflate to about ``size``: what a piece leaves over is
        # a step's tail, not the rest of the body (a copy of it per piece).
        step = max(_MIN_INFLATE_STEP, size * len(gzipped) // max(self.length, 1))
        inflater = isal_zlib.decompressobj(_GZIP_WBITS)
        for start in range(0, len(gzipped), step):
            pending: bytes | memoryview = gzipped[start : start + step]
            while pending:
                piece = inflater.decompress(pending, size)
                pending = inflater.unconsumed_tail
                if piece:
                    yield piece
        # The gzip trailer is taken only once all is out: nothing is left here,
        # unless an inflater keeps output back.
        rest = inflater.flush()
        for start in range(0, len(rest), size):
            yield rest[start : start + size]

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip_bytes(self.body)
        return self._gzipped


class CachedBodyResponse(BytesResponse):
    """A response whose body, ETag and gzip form come from the response cache.

    A body kept compressed at rest is sent as it is kept when ``accept_encoding``
    (the request's ``Accept-Encoding``) takes gzip; the gzip middleware then leaves
    it alone. Otherwise the response is :attr:`inflating`: its container is the
    entry's :meth:`~CachedBody.pieces`, which the handler hands the server to send
    as they are inflated (reading :attr:`content` joins them, as for any response).
    """

    def __init__(
        self, entry: CachedBody, content_type: str, accept_encoding: str = ""
    ) -> None:
        if not entry.compressed:
            super().__init__(entry.body, 200, content_type)
        elif accepts_gzip(accept_encoding):
            super().__init__(entry.gzipped(), 200, content_type)
            set_header(self, "Content-Encoding", "gzip")
        else:
            super().__init__(b"", 200, content_type)
            # Django types the container as a list; it only ever iterates it.
            self._container = _Inflated(entry)  # type: ignore[assignment]
        set_header(self, "ETag", entry.etag)
        #: The cache entry of the body (its gzip form is made once, then reused).
        self.cached = entry

    @property
    def inflating(self) -> bool:
        """Sent as pieces inflated from the cached gzip form (until its content is
        set, as the container then becomes Django's list)."""
        container: object = self._container
        return type(container) is _Inflated


class _Inflated:
    """The container of an inflating response: the entry's pieces, each time."""

    __slots__ = ("entry",)

    def __init__(self, entry: CachedBody) -> None:
        self.entry = entry

    def __iter__(self) -> Iterator[bytes]:
        return self.entry.pieces()


def content_length(response: HttpResponse) -> int:
    """The length of ``response``'s body, without inflating an inflating one."""
    if isinstance(response, CachedBodyResponse) and response.inflating:
        return response.cached.length
    return len(response.content)


def accepts_gzip(accept_encoding: str) -> bool:
    """RFC 9110 negotiation: ``gzip`` (or ``*``) with a non-zero q-value."""
    wildcard = False
    for element in accept_encoding.split(","):
        coding, _, params = element.partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        quality = _quality(params)
        if coding == "*":
            wildcard = quality > 0
            continue
        return quality > 0
    return wildcard


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def gzip_bytes(body: bytes) -> bytes:
    """The gzip form of ``body`` (no file name or time: as :class:`GzipWriter`)."""
    return zlib.compress(body, GZIP_LEVEL, _GZIP_WBITS)


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
        self,
        key: Hashable,
        revision: Revision,
        render: Callable[[], bytes],
        compressed: bool = False,
    ) -> CachedBody:
        """The body for ``key`` at ``revision``, rendering it if the cache is stale
        (``compressed``: ``render`` gives the gzip form, which is all that is kept;
        see the module docstring).

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
            entry = CachedBody(revision, render(), compressed)
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
