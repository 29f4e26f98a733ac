"""The ceiling of a full listing: the same server sending a constant body that size.

A full listing is a few megabytes of cached bytes; what it costs is mostly the
server's copy of the body and the kernel's, and on a two-core machine the load
client receiving it takes the other core. So its rate is bounded by what the server
does with *any* body of that size, right now. After a full-listing scenario the
bench starts ``ceiling_app.py`` under the same server (granian RSGI, or gunicorn
gthread), sending a constant body of the listing's length, drives it with the same
client and connections for as long, and prints its rate and server CPU per request
beside the scenario's: the registry's part of the cost is the difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from server import HOST, children_of, cpu_seconds, free_port, start_app
from yardstick import BENCH_DIR

#: Threads of the gunicorn ceiling: enough for the connections to keep it busy.
GUNICORN_THREADS = 4
#: How granian is given the body: in one ``response_bytes`` (0), or in pieces of
#: this size, the registry's own for a body kept compressed. The faster counts.
GRANIAN_PIECES = (0, 256 * 1024)


@dataclass(frozen=True)
class Ceiling:
    """A bare server's rate on one body size, and its CPU per request."""

    server: str
    body_bytes: int
    #: How the body was handed to the server.
    how: str
    rate: float
    cpu_us_per_request: float
    client_share: float


def command(server: str, port: int) -> list[str]:
    """The bare app under ``server`` (granian or gunicorn), one worker."""
    if server == "granian":
        return [
            *(sys.executable, "-m", "granian", "--interface", "rsgi"),
            *("--workers", "1", "--blocking-threads", "1", "--host", HOST),
            *("--port", str(port), "--log-level", "warning", "ceiling_app:rsgi_app"),
        ]
    return [
        *(sys.executable, "-m", "gunicorn", "--worker-class", "gthread"),
        *("--workers", "1", "--threads", str(GUNICORN_THREADS)),
        *("--bind", f"{HOST}:{port}", "--log-level", "warning"),
        "ceiling_app:wsgi_app",
    ]


def ways(server: str) -> tuple[int, ...]:
    """The piece sizes to try under ``server`` (0: the body in one call)."""
    return GRANIAN_PIECES if server == "granian" else (0,)


def describe(server: str, piece_bytes: int) -> str:
    if server != "granian":
        return "one-item list"
    if not piece_bytes:
        return "one response_bytes"
    return f"{piece_bytes // 1024} KiB pieces"


def start(
    server: str, body_bytes: int, piece_bytes: int = 0
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the bare app on a free port; it answers once this returns."""
    port = free_port()
    env = {
        **os.environ,
        "A8_BENCH_BODY_BYTES": str(body_bytes),
        "A8_BENCH_PIECE_BYTES": str(piece_bytes),
    }
    process = start_app(
        command(server, port), port, BENCH_DIR, f"the {server} ceiling app", env
    )
    return process, port


def server_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (the server's workers)."""
    return sum(cpu_seconds(p) for p in [pid, *children_of(pid)])
