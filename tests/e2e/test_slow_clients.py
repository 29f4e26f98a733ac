"""Connections that have not sent a whole request head hold no thread that serves
complete ones (granian reads and parses request heads in Rust; ``threads`` Python
threads only ever run complete requests)."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from tests.e2e.support import RegistryServer, client_session

pytestmark = pytest.mark.e2e

SILENT_CONNECTIONS = 200
PARTIAL_HEAD = b"GET / HTTP/1.1\r\nHost: x\r\n"  # no blank line: never complete
LATENCY_LIMIT = 0.100  # seconds


def open_connections(server: RegistryServer, count: int, send: bytes):
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if send:
            connection.sendall(send)
        connections.append(connection)
    return connections


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
        for connection in held[-2:]:
            connection.setblocking(False)
            with pytest.raises(BlockingIOError):
                connection.recv(1)
    assert max(latencies) < LATENCY_LIMIT, [f"{s * 1000:.1f} ms" for s in latencies]
