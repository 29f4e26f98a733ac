"""A small keep-alive HTTP/1.1 load generator for loopback benchmarks.

It speaks just enough HTTP to drive the registry: pre-encoded requests written on
persistent connections, responses framed by ``Content-Length``. Written on raw
asyncio streams because a general HTTP client costs more CPU than the server under
test, and client and server share the same two cores here.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    #: Connections that failed (refused, reset, malformed response).
    errors: int = 0
    #: CPU seconds this process spent generating the load.
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile ``q`` (0..100) in milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))
        return ordered[index] * 1000

    def summary(self) -> str:
        return (
            f"{self.rate:10.0f} req/s  p50 {self.percentile(50):7.2f} ms  "
            f"p99 {self.percentile(99):7.2f} ms  n={self.requests}  "
            f"statuses={dict(sorted(self.statuses.items()))}"
        )


def build_request(
    method: str,
    path: str,
    host: str,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """Encode one HTTP/1.1 keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if body or method in ("POST", "PUT"):
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str,
    port: int,
    next_request: Callable[[], bytes | None],
    deadline: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> int:
    """Run one connection; return 1 if it failed, else 0."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return 1
    try:
        while time.perf_counter() < deadline:
            request = next_request()
            if request is None:
                return 0
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    except (OSError, ValueError, asyncio.IncompleteReadError):
        return 1
    finally:
        writer.close()
    return 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(
    host: str,
    port: int,
    next_request: Callable[[], bytes | None],
    concurrency: int,
    seconds: float,
) -> LoadResult:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu = _cpu_seconds()
    started = time.perf_counter()
    deadline = started + seconds
    failures = await asyncio.gather(
        *(
            _worker(host, port, next_request, deadline, latencies, statuses)
            for _ in range(concurrency)
        )
    )
    return LoadResult(
        len(latencies),
        time.perf_counter() - started,
        latencies,
        statuses,
        errors=sum(failures),
        client_cpu=_cpu_seconds() - cpu,
    )


def run_load(
    port: int,
    next_request: Callable[[], bytes | None],
    *,
    host: str = "127.0.0.1",
    concurrency: int = 16,
    seconds: float = 5.0,
) -> LoadResult:
    """Drive ``next_request()`` until it returns ``None`` or ``seconds`` elapse."""
    return asyncio.run(_run(host, port, next_request, concurrency, seconds))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
