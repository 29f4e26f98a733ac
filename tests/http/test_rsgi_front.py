"""The RSGI front's WSGI environ (registry/http/rsgi.py), as granian's WSGI builds it.

Bodies, timeouts and threads are proven against a real granian in
tests/e2e/test_slow_clients.py and the rest of the end-to-end suite.
"""

from __future__ import annotations

import asyncio
from typing import Any

from granian._granian import RSGIProtocolClosed as ProtocolClosed
from granian._granian import RSGIProtocolError as ProtocolError

from registry.http.rsgi import (
    BODY_ERROR_KEY,
    BODY_MALFORMED,
    BODY_TIMED_OUT,
    CLOSE_KEY,
    RSGIApplication,
)
from registry.http.transport import MAX_BODY_BYTES


class Headers:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def items(self) -> list[tuple[str, str]]:
        return self._items

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self._items).get(key, default)


class Scope:
    proto = "http"
    http_version = "1.1"
    client = "127.0.0.1:50123"
    server = "127.0.0.1:8080"
    scheme = "http"

    def __init__(
        self,
        method: str = "GET",
        path: str = "/",
        query: str = "",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.query_string = query
        self.headers = Headers(headers or [])


def front(**kwargs: Any) -> RSGIApplication:
    return RSGIApplication(
        lambda environ, start: [b""], body_read_timeout=0.2, threads=None, **kwargs
    )


def test_environ_holds_what_a_wsgi_server_gives():
    environ = front()._environ(
        Scope(
            "PUT",
            "/api/v1/instances/x/heartbeat",
            "a=%20b",
            [
                ("host", "registry:8080"),
                ("content-type", "application/json"),
                ("content-length", "12"),
                ("x-request-id", "r1"),
            ],
        )
    )
    assert environ["REQUEST_METHOD"] == "PUT"
    assert environ["PATH_INFO"] == "/api/v1/instances/x/heartbeat"
    assert environ["QUERY_STRING"] == "a=%20b"
    assert environ["SCRIPT_NAME"] == ""
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("127.0.0.1", "8080")
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("127.0.0.1", "50123")
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "12"
    assert environ["HTTP_HOST"] == "registry:8080"
    assert environ["HTTP_X_REQUEST_ID"] == "r1"
    assert "HTTP_CONTENT_TYPE" not in environ


def test_repeated_headers_join_and_underscored_names_are_dropped():
    """``X_Namespace`` would alias ``X-Namespace``: dropped, as granian's WSGI,
    gunicorn and nginx do, so a trusted header cannot be forged with ``_``."""
    environ = front()._environ(
        Scope(
            headers=[
                ("x-a", "1"),
                ("x-a", "2"),
                ("x_namespace", "forged"),
                ("x-namespace", "real"),
            ]
        )
    )
    assert environ["HTTP_X_A"] == "1,2"
    assert environ["HTTP_X_NAMESPACE"] == "real"


def test_a_non_ascii_path_becomes_wsgi_latin1_text():
    """WSGI strings carry bytes as ISO-8859-1; Django decodes them as UTF-8.
    (Header values are ASCII: granian drops any other before the front sees it.)"""
    environ = front()._environ(Scope(path="/api/eureka/ünï/v2/apps", headers=[]))
    assert environ["PATH_INFO"] == "/api/eureka/ünï/v2/apps".encode().decode("latin-1")


def test_ipv6_addresses_lose_their_brackets():
    scope = Scope()
    scope.client = "[::1]:50123"
    environ = front()._environ(scope)
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("::1", "50123")


class Body:
    """An RSGI protocol whose body arrives in ``chunks`` (then, maybe, an error)."""

    def __init__(
        self, chunks: list[bytes], error: Exception | None = None, stall: bool = False
    ) -> None:
        self._chunks = chunks
        self._error = error
        self._stall = stall

    async def _iterate(self) -> Any:
        for chunk in self._chunks:
            yield chunk
        if self._stall:
            await asyncio.sleep(10)
        if self._error is not None:
            raise self._error

    def __aiter__(self) -> Any:
        return self._iterate()

    async def __call__(self) -> bytes:
        """The whole body (read when its length is known and within the limit)."""
        self.whole_reads += 1
        return b"".join([chunk async for chunk in self._iterate()])

    whole_reads = 0


def read(
    body: Body, environ: dict[str, Any] | None = None
) -> tuple[bytes | None, dict[str, Any]]:
    environ = {} if environ is None else environ
    data = asyncio.run(front()._read_body(body, environ))  # type: ignore[arg-type]
    return data, environ


def test_a_body_of_known_length_within_the_limit_is_read_whole():
    body = Body([b"ab", b"cd"])
    assert read(body, {"CONTENT_LENGTH": "4"}) == (b"abcd", {"CONTENT_LENGTH": "4"})
    assert body.whole_reads == 1
    for environ in (
        {"CONTENT_LENGTH": str(MAX_BODY_BYTES + 1)},
        {"CONTENT_LENGTH": "4", "HTTP_TRANSFER_ENCODING": "chunked"},
        {},
    ):
        body = Body([b"ab", b"cd"])
        assert read(body, dict(environ))[0] == b"abcd"
        assert body.whole_reads == 0  # read chunk by chunk, within the limit


def test_a_late_body_of_known_length_is_a_408_too():
    data, environ = read(Body([b"{"], stall=True), {"CONTENT_LENGTH": "10"})
    assert data == b""
    assert environ[BODY_ERROR_KEY] == BODY_TIMED_OUT


def test_a_body_is_read_whole():
    assert read(Body([b"ab", b"cd"])) == (b"abcd", {})


def test_a_body_over_the_limit_is_kept_to_just_over_it_and_the_rest_dropped():
    chunk = b"x" * 65536
    data, environ = read(Body([chunk] * (MAX_BODY_BYTES // len(chunk) + 4)))
    assert data is not None
    assert MAX_BODY_BYTES < len(data) <= MAX_BODY_BYTES + len(chunk)
    assert environ == {}  # drained: the connection stays in step


def test_a_late_body_is_a_408_that_closes_the_connection():
    data, environ = read(Body([b"{"], stall=True))
    assert data == b"{"
    assert environ == {BODY_ERROR_KEY: BODY_TIMED_OUT, CLOSE_KEY: True}


def test_broken_framing_is_a_400_and_a_client_gone_is_nothing():
    _, environ = read(Body([b"{"], ProtocolError("bad chunk")))
    assert environ == {BODY_ERROR_KEY: BODY_MALFORMED, CLOSE_KEY: True}
    assert read(Body([b"{"], ProtocolClosed()))[0] is None


class Closed:
    """A streaming transport whose client has gone (or a ``HEAD`` response)."""

    async def send_bytes(self, data: bytes) -> None:
        raise ProtocolClosed("RSGI transport is closed")


class Streamed:
    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Any:
        return iter([b"a", b"b"])

    def close(self) -> None:
        self.closed = True


def test_a_stream_whose_transport_closes_ends_quietly_and_is_closed():
    class Protocol:
        def response_stream(self, status: int, headers: Any) -> Closed:
            return Closed()

    streamed = Streamed()
    asyncio.run(front()._stream(Protocol(), 200, [], streamed))  # type: ignore[arg-type]
    assert streamed.closed
