"""The RSGI front's WSGI environ (registry/http/rsgi.py), as granian's WSGI builds it.

Bodies, timeouts and threads are proven against a real granian in
tests/e2e/test_slow_clients.py and the rest of the end-to-end suite.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from granian._granian import RSGIProtocolClosed as ProtocolClosed
from granian._granian import RSGIProtocolError as ProtocolError

from registry.http.body_deadlines import BodyDeadlines
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


# -- body deadlines: one sweep per loop, not a timer per read -----------------


def test_many_reads_share_one_timer_and_only_the_late_are_cut():
    front_app = front()  # body_read_timeout 0.2 s: swept every 0.05 s

    async def main() -> tuple[list[Any], int, float]:
        loop = asyncio.get_running_loop()
        prompt = [
            asyncio.create_task(front_app._read_body(Body([b"ok"]), {}))  # type: ignore[arg-type]
            for _ in range(50)
        ]
        late_environs: list[dict[str, Any]] = [{} for _ in range(50)]
        late = [
            asyncio.create_task(front_app._read_body(Body([b"{"], stall=True), e))  # type: ignore[arg-type]
            for e in late_environs
        ]
        await asyncio.sleep(0)  # every read has begun
        timers = len(loop._scheduled)  # type: ignore[attr-defined]  # asyncio's loop
        started = time.monotonic()
        results = await asyncio.gather(*prompt, *late)
        return [results, late_environs], timers, time.monotonic() - started

    (results, late_environs), timers, took = asyncio.run(main())
    # 50 sleeping bodies have their own asyncio.sleep timers; the deadlines add one.
    assert timers == 50 + 1
    assert results[:50] == [b"ok"] * 50
    assert results[50:] == [b"{"] * 50
    assert all(
        e == {BODY_ERROR_KEY: BODY_TIMED_OUT, CLOSE_KEY: True} for e in late_environs
    )
    assert 0.2 <= took < 1.0  # the timeout and a sweep (0.05 s), with room for CI


def test_a_cancellation_that_is_not_the_deadline_goes_through():
    front_app = front()

    async def main() -> None:
        reading = asyncio.create_task(
            front_app._read_body(Body([b"{"], stall=True), {})  # type: ignore[arg-type]
        )
        await asyncio.sleep(0.01)
        reading.cancel()  # the server shutting down, say
        with pytest.raises(asyncio.CancelledError):
            await reading

    asyncio.run(main())
    assert front_app._deadlines._reads == {}


def test_the_sweep_stops_when_no_read_is_in_flight_and_starts_again():
    deadlines = BodyDeadlines(0.2)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        deadlines.begin(task)
        deadlines.end(task)
        await asyncio.sleep(deadlines.interval * 2)
        assert deadlines._sweep_handle is None  # swept once, nothing left: stopped
        assert not loop._scheduled  # type: ignore[attr-defined]
        deadlines.begin(task)
        assert deadlines._sweep_handle is not None  # armed again
        deadlines.end(task)

    asyncio.run(main())
    asyncio.run(main())  # a new loop: the old one's state is not reused
