"""Slow clients (issue 10, defect 5), against real servers on loopback.

Request heads: connections that have not sent a whole request head hold no thread
that serves complete ones (granian reads and parses request heads in Rust;
``threads`` Python threads only ever run complete heads).

Request bodies: a request whose head is complete but whose body is not holds one of
the worker's ``threads`` Python threads for as long as its client keeps the
connection open, under both servers (measured: granian 2.x hands the application a
``wsgi.input`` that reads the body from the connection on that thread; gunicorn's
gthread reads it from the socket on that thread), and neither server has a body
read timeout to set. The tests below pin that behaviour down exactly (what holds,
what frees it) and keep the requirement as a strict ``xfail``: it starts failing
(XPASS) the day a server change meets it, so the docs get updated then.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.support import RegistryServer, client_session

pytestmark = pytest.mark.e2e

SILENT_CONNECTIONS = 200
PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n"  # no blank line: never complete
LATENCY_LIMIT = 0.100  # seconds

#: Slow bodies: a complete head announcing 1000 bytes, then only the first few.
SLOW_BODIES = 50
BODY_THREADS = 4
PARTIAL_BODY = (
    b"POST /api/v1/instances HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    b'{"service_name":"slow-body","endpoint":{"type":"tcp","value":'
)
#: How long a request may wait before it counts as stalled (the 100 ms limit,
#: with a margin, so a stall is told from a slow machine).
STALLED = 1.0


def open_connections(server: RegistryServer, count: int, send: bytes):
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if send:
            connection.sendall(send)
        connections.append(connection)
    return connections


@contextlib.contextmanager
def held_connections(
    server: RegistryServer, count: int, send: bytes
) -> Iterator[list[socket.socket]]:
    with contextlib.ExitStack() as stack:
        held = open_connections(server, count, send)
        for connection in held:
            stack.callback(connection.close)
        time.sleep(0.3)  # let the server read what they sent
        yield held


def latency(server: RegistryServer, timeout: float = 5) -> float:
    """Seconds one fresh connection waits for ``GET /api/v1/services`` (200)."""
    with client_session() as http:
        started = time.perf_counter()
        response = http.get(server.url("/api/v1/services"), timeout=timeout)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return elapsed


def assert_unanswered(connections: list[socket.socket]) -> None:
    """Nothing was sent back on these connections: they are still waiting."""
    for connection in connections:
        connection.setblocking(False)
        with pytest.raises(BlockingIOError):
            connection.recv(1)


def test_idle_and_partial_connections_do_not_delay_requests(default_server):
    with client_session() as http:  # warm: the first request builds caches
        assert http.get(default_server.url("/api/v1/services")).status_code == 200
    with contextlib.ExitStack() as stack:
        held = [
            *open_connections(default_server, SILENT_CONNECTIONS, b""),
            *open_connections(default_server, 2, PARTIAL_HEAD),
        ]
        for connection in held:
            stack.callback(connection.close)
        with client_session() as http:
            latencies = []
            for _ in range(5):
                started = time.perf_counter()
                response = http.get(default_server.url("/api/v1/services"), timeout=5)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
        # The held connections are still open: nothing answered them.
        assert_unanswered(held[-2:])
    assert max(latencies) < LATENCY_LIMIT, [f"{s * 1000:.1f} ms" for s in latencies]


@pytest.fixture(scope="module", params=["granian", "gunicorn"])
def body_server(request, start_server) -> RegistryServer:
    """A server of each kind with ``BODY_THREADS`` threads (not shared: these
    tests hold its threads)."""
    server: RegistryServer = start_server(
        ["--server", request.param, "--threads", str(BODY_THREADS)]
    )
    latency(server)  # warm
    return server


@pytest.mark.xfail(
    strict=True,
    raises=requests.exceptions.ReadTimeout,
    reason="slow bodies hold threads: granian 2.x streams wsgi.input and has no "
    "body read timeout (emmett-framework/granian#728), nor has gunicorn gthread "
    "(docs/deployment.md)",
)
def test_slow_bodies_do_not_delay_requests(body_server):
    """The requirement (issue 10, defect 5), not met by either server today."""
    with held_connections(body_server, SLOW_BODIES, PARTIAL_BODY):
        elapsed = latency(body_server, timeout=STALLED)
    assert elapsed < LATENCY_LIMIT


def test_slow_bodies_hold_one_thread_each_until_their_clients_go(body_server):
    """What the limitation is, exactly: one held thread per slow body, while its
    client stays; fewer slow bodies than threads delay nothing; a client that
    goes frees its thread, and its partial body registers nothing."""
    with held_connections(body_server, BODY_THREADS - 1, PARTIAL_BODY) as held:
        assert latency(body_server) < LATENCY_LIMIT  # one thread is left
        assert_unanswered(held)
    with held_connections(body_server, SLOW_BODIES, PARTIAL_BODY) as held:
        with pytest.raises(requests.exceptions.ReadTimeout):
            latency(body_server, timeout=STALLED)  # every thread is held
        assert_unanswered(held)
    # The clients went: their threads are free again (once the server has seen
    # the connections close and answered the requests it had queued).
    time.sleep(0.5)
    assert latency(body_server) < LATENCY_LIMIT
    with client_session() as http:
        listed = http.get(body_server.url("/api/v1/services/slow-body"))
    assert listed.status_code == 404
