"""Malformed request framing over a real connection is a 4xx, never a 500, and the
server keeps serving (hardening: a chunk size ``zz`` used to be a 500)."""

from __future__ import annotations

import socket

import pytest

from tests.e2e.support import RegistryServer

pytestmark = pytest.mark.e2e


def exchange(server: RegistryServer, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("path", ["/api/v1/instances", "/eureka/v2/apps/A"])
@pytest.mark.parametrize(
    "chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"-1\r\n{}\r\n"]
)
def test_a_malformed_chunked_body_is_a_400(default_server, http, path, chunks):
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = exchange(default_server, head + chunks)
    status = int(answer.split(b" ", 2)[1])
    assert status == 400, answer[:300]
    # The server is still there for everyone else.
    assert http.get(default_server.url("/api/v1/services")).status_code == 200
