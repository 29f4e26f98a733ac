"""The registry as an RSGI application: granian's asynchronous front for the WSGI app.

granian's WSGI interface hands a request to a Python thread as soon as its head is
parsed, and the application then reads the body from the connection on that
thread: a client that sends its head and then the body slowly, or never, holds one
of the worker's threads for as long as it stays connected. Here the body is read
first, asynchronously on the worker's event loop, within ``body_read_timeout``;
only a request whose body has fully arrived reaches the application, so a slow or
silent client never holds a thread that serves complete requests.

The application is the registry's WSGI handler, unchanged, called with a WSGI
environ built from the RSGI scope (as granian's WSGI interface builds it: the path
as ISO-8859-1 text, repeated headers joined by ``,``, header names holding ``_``
dropped, since they would alias a ``-`` name; granian itself drops a header whose
value is not ASCII). Where it runs:

- ``inline`` (the in-memory store): on the event loop itself. Its requests never
  wait on the network, so threads would only add hand-offs; one thread runs Python
  at a time anyway;
- otherwise (Redis) on a pool of ``threads`` threads, so a request waiting on the
  store never holds up the loop (reading bodies, the other requests). The liveness
  probe ``/`` needs no store and runs on the loop, so it never queues behind
  requests that wait on a store that has stopped answering.

Refusals keep the application's formats: a body over the limit is read only up to
the limit plus one byte and handed on (``BodyLimitMiddleware`` answers 413); a body
whose framing is broken, or that has not arrived within ``body_read_timeout``, is
answered by the same middleware (400, 408) from :data:`BODY_ERROR_KEY`.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

from granian._granian import RSGIProtocolClosed as ProtocolClosed

from registry.http.body_deadlines import BodyDeadlines
from registry.http.request_threads import RequestThreads
from registry.http.transport import MAX_BODY_BYTES

#: environ key set when the body could not be read: 400 (broken framing) or 408.
BODY_ERROR_KEY: Final = "registry.body_error"
BODY_MALFORMED: Final = 400
BODY_TIMED_OUT: Final = 408
#: environ key set when the connection must close after the response (the body
#: was not read to its end).
CLOSE_KEY: Final = "registry.close_connection"
#: The liveness probe's path: it needs no store, so it runs on the loop, never
#: queued behind requests that wait on the store.
LIVENESS_PATH: Final = "/"
#: A refused body is read and dropped up to this size (larger ones cost the client
#: its connection).
DRAIN_LIMIT_BYTES: Final = 64 * 1024 * 1024

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ResponseParts = tuple[int, list[tuple[str, str]], Iterable[bytes]]

_EMPTY: Final = b""
#: Header names whose environ keys are kept (names a client chooses: bounded).
KEYS_KEPT: Final = 256
#: Headers that are not ``HTTP_*`` in a WSGI environ.
_CGI_HEADERS: Final = {
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
}


class _Headers(Protocol):
    def items(self) -> list[tuple[str, str]]: ...
    def get(self, key: str, default: Any = None) -> Any: ...


class _Scope(Protocol):
    proto: str
    http_version: str
    client: str
    server: str
    scheme: str
    method: str
    path: str
    query_string: str

    @property
    def headers(self) -> _Headers: ...


class _Protocol(Protocol):
    async def __call__(self) -> bytes: ...
    def __aiter__(self) -> Any: ...
    def response_bytes(
        self, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None: ...
    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Any: ...


class _StartResponse:
    """WSGI ``start_response``: keeps the status code and headers."""

    __slots__ = ("headers", "status")

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[str, str]] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> None:
        self.status = int(status[:3])
        self.headers = headers


class RSGIApplication:
    """See the module docstring. granian calls :meth:`__rsgi__` per request."""

    def __init__(
        self,
        application: WsgiApp,
        *,
        body_read_timeout: float,
        threads: int | None,
    ) -> None:
        """``threads=None`` runs the application inline on the event loop."""
        self._application = application
        self._deadlines = BodyDeadlines(body_read_timeout)
        self._executor = (
            None if threads is None else RequestThreads(threads, "registry-request")
        )
        self._base = {
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SCRIPT_NAME": "",
            "SERVER_SOFTWARE": "Granian",
            "wsgi.errors": sys.stderr,
            "wsgi.input_terminated": True,
            "wsgi.multiprocess": False,
            "wsgi.multithread": self._executor is not None,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        self._keys: dict[str, str] = {}

    def close(self) -> None:
        """Stop the thread pool (waits for the requests it is running)."""
        if self._executor is not None:
            self._executor.close()

    async def __rsgi__(self, scope: _Scope, protocol: _Protocol) -> None:
        if scope.proto != "http":
            return  # websockets are off
        environ = self._environ(scope)
        if environ.get("CONTENT_LENGTH", "0") != "0" or "HTTP_TRANSFER_ENCODING" in (
            environ
        ):
            body = await self._read_body(protocol, environ)
            if body is None:
                return  # the client went away
        else:
            body = _EMPTY
        environ["wsgi.input"] = io.BytesIO(body)
        if self._executor is None or environ["PATH_INFO"] == LIVENESS_PATH:
            status, headers, chunks = self._call(environ)
        else:
            status, headers, chunks = await self._executor.run(self._call, environ)
        if CLOSE_KEY in environ:
            headers = [*headers, ("connection", "close")]
        if isinstance(chunks, list):
            protocol.response_bytes(status, headers, b"".join(chunks))
        else:
            await self._stream(protocol, status, headers, chunks)

    def _call(self, environ: dict[str, Any]) -> ResponseParts:
        start = _StartResponse()
        chunks = self._application(environ, start)
        return start.status, start.headers, chunks

    async def _stream(
        self,
        protocol: _Protocol,
        status: int,
        headers: list[tuple[str, str]],
        chunks: Iterable[bytes],
    ) -> None:
        """A streamed or file response (Django's static files), chunk by chunk.

        A response to ``HEAD``, or a client that has gone, closes the transport:
        the rest is not sent, and that is no error.
        """
        transport = protocol.response_stream(status, headers)
        try:
            for chunk in chunks:
                if chunk:
                    await transport.send_bytes(chunk)
        except ProtocolClosed:
            pass
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    async def _read_body(
        self, protocol: _Protocol, environ: dict[str, Any]
    ) -> bytes | None:
        """The body, up to ``MAX_BODY_BYTES + 1`` bytes (more is the app's 413).

        A longer body is read on and dropped up to :data:`DRAIN_LIMIT_BYTES`, so a
        keep-alive connection stays in step; past that, :data:`CLOSE_KEY` asks for
        the connection to be closed. ``None`` when the client closed the
        connection; a read error or timeout is recorded in ``environ``
        (:data:`BODY_ERROR_KEY`) with what had arrived.
        """
        length = environ.get("CONTENT_LENGTH", "")
        # A body within the limit whose length is known is taken whole: one await.
        whole = (
            "HTTP_TRANSFER_ENCODING" not in environ
            and length.isdigit()
            and int(length) <= MAX_BODY_BYTES
        )
        parts: list[bytes] = []
        task = asyncio.current_task()
        if task is None:  # granian runs every request in a task of its own
            raise RuntimeError("a body is read in a task (its deadline cancels it)")
        deadlines = self._deadlines
        deadlines.begin(task)
        try:
            return await self._receive(protocol, environ, whole, parts)
        except asyncio.CancelledError:
            if not deadlines.cut(task):
                raise  # not ours: the client, a shutdown
            environ[BODY_ERROR_KEY] = BODY_TIMED_OUT
            environ[CLOSE_KEY] = True
            return b"".join(parts)
        finally:
            deadlines.end(task)

    @staticmethod
    async def _receive(
        protocol: _Protocol, environ: dict[str, Any], whole: bool, parts: list[bytes]
    ) -> bytes | None:
        """:meth:`_read_body`'s reading, its deadline kept by the caller; what has
        arrived is in ``parts`` if it is cut."""
        kept = size = 0
        try:
            if whole:
                return await protocol()
            async for chunk in protocol:
                size += len(chunk)
                if kept <= MAX_BODY_BYTES:
                    parts.append(chunk)
                    kept = size
                elif size > DRAIN_LIMIT_BYTES:
                    environ[CLOSE_KEY] = True
                    break
        except ProtocolClosed:
            return None
        except Exception:  # ProtocolError (say a chunk size ``zz``), whatever else
            environ[BODY_ERROR_KEY] = BODY_MALFORMED
            environ[CLOSE_KEY] = True
        return b"".join(parts)

    def _environ(self, scope: _Scope) -> dict[str, Any]:
        environ = self._base.copy()
        server = _split(scope.server)
        client = _split(scope.client)
        environ["SERVER_NAME"], environ["SERVER_PORT"] = server
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client
        environ["SERVER_PROTOCOL"] = "HTTP/" + scope.http_version
        environ["REQUEST_METHOD"] = scope.method
        path = scope.path
        environ["PATH_INFO"] = (
            path if path.isascii() else path.encode("utf-8").decode("latin-1")
        )
        environ["QUERY_STRING"] = scope.query_string
        environ["wsgi.url_scheme"] = scope.scheme
        keys = self._keys
        for name, value in scope.headers.items():
            key = keys.get(name)
            if key is None:
                key = self._key(name)
                if key is None:
                    continue
            previous = environ.get(key)
            environ[key] = value if previous is None else f"{previous},{value}"
        return environ

    def _key(self, name: str) -> str | None:
        """The environ key of header ``name`` (``None``: dropped), kept for the next
        request (the first :data:`KEYS_KEPT` names)."""
        if "_" in name:
            return None  # would alias the same name with "-"
        key = _CGI_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
        if len(self._keys) < KEYS_KEPT:
            self._keys[name] = key
        return key


def _split(address: str) -> tuple[str, str]:
    """``host:port`` (an IPv6 host in brackets or not) as (host, port)."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port
