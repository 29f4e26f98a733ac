"""Resident memory per instance with every cache warm, measured in-process.

``.venv/bin/python bench/memory.py --instances 10000 --kind native`` registers the
instances through the registry's own WSGI application (the code path a server
runs, without sockets), renders what clients read (``GET /api/v1/instances``,
``GET /eureka/v2/apps`` as JSON and as XML, and one-service lookups in both APIs),
so that the per-instance element caches and the cached bodies are filled, then
prints the growth of the process's RSS divided by the instance count (one JSON
line; ``--tracemalloc`` adds the top allocation sites).

A separate process per measurement: the figure is the growth from a warmed-up
baseline (imports done, every route rendered once on 100 instances), so nothing
measured before it is in it. ``run.py``'s ``memory-warm`` scenario (the ``memory``
suite) runs :func:`run`: 10,000 instances of each kind, and 100,000 unless
``--quick``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from core import Figure, Settings, print_figure

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("native", "eureka")
#: What the registry may keep per instance (the issue's target).
TARGET_BYTES = 1536
#: Instances per service (native) or app (Eureka), as in the suites.
PER_SERVICE = 100

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def rss_bytes() -> int:
    resident = Path("/proc/self/statm").read_text().split()[1]
    return int(resident) * os.sysconf("SC_PAGE_SIZE")


class Caller:
    """Calls the WSGI application as a server would, one request at a time."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        accept: str = "",
    ) -> tuple[int, bytes]:
        route, _, query = path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            "CONTENT_LENGTH": str(len(body)),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
        if accept:
            environ["HTTP_ACCEPT"] = accept
        statuses: list[int] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            statuses.append(int(status.split()[0]))

        result = self.app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return statuses[0], payload


def registrations(kind: str, services: range) -> list[tuple[str, bytes]]:
    """The suites' own registration requests (``svc-<s>`` or ``APP-<a>`` x 100)."""
    if kind == "native":
        import native_suite

        return native_suite.catalog_requests(services)
    import eureka_suite

    return [eureka_suite.registration(a, i) for a in services for i in range(100)]


def register(call: Caller, requests: list[tuple[str, bytes]], kind: str) -> None:
    expected = 201 if kind == "native" else 204
    for path, body in requests:
        status, payload = call("POST", path, body)
        if status != expected:
            raise SystemExit(f"POST {path}: {status} {payload[:200]!r}")


def read_everything(call: Caller, service: int, kind: str) -> None:
    """Every listing clients read, so that every cache holds what it would."""
    app = f"APP-{service}" if kind == "eureka" else f"SVC-{service}"
    native_service = f"svc-{service}" if kind == "native" else app
    for path, accept in (
        ("/api/v1/instances", ""),
        ("/eureka/v2/apps", "application/json"),
        ("/eureka/v2/apps", "application/xml"),
        (f"/api/v1/services/{native_service}", ""),
        (f"/api/v1/instances?service_name={native_service}", ""),
        (f"/eureka/v2/apps/{app}", "application/json"),
        (f"/eureka/v2/apps/{app}", "application/xml"),
    ):
        status, payload = call("GET", path, accept=accept)
        if status != 200:
            raise SystemExit(f"GET {path}: {status} {payload[:200]!r}")


def measure_here(instances: int, kind: str, top: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_project.settings")
    os.environ["A8_LOG_LEVEL"] = "warning"
    os.environ["A8_MAX_TTL"] = "10m"
    sys.path.insert(0, str(ROOT))
    from registry_project.wsgi import application  # what the servers run

    call = Caller(application)
    services = instances // PER_SERVICE
    # Warm-up on services of their own: imports, lazy setup, every route once.
    warm = range(services, services + 1)
    register(call, registrations(kind, warm), kind)
    read_everything(call, warm.start, kind)
    requests = registrations(kind, range(services))
    if top:
        import tracemalloc

        tracemalloc.start()
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    register(call, requests, kind)
    del requests
    read_everything(call, 42 % services, kind)
    gc.collect()
    grown = rss_bytes() - before
    result: dict[str, Any] = {
        "kind": kind,
        "instances": instances,
        "grown": grown,
        "per_instance": grown / instances,
        "seconds": time.perf_counter() - started,
    }
    if top:
        import tracemalloc

        stats = tracemalloc.take_snapshot().statistics("lineno")
        result["traced_per_instance"] = sum(s.size for s in stats) / instances
        result["top"] = [
            f"{s.size / instances:7.1f} B/inst  {s.traceback[0].filename}:"
            f"{s.traceback[0].lineno}"
            for s in stats[:top]
        ]
    return result


def measure(instances: int, kind: str, top: int = 0) -> dict[str, Any]:
    """:func:`measure_here` in a fresh process (the figure needs a clean heap)."""
    command = [sys.executable, str(Path(__file__)), "--instances", str(instances)]
    command += ["--kind", kind, "--tracemalloc", str(top)]
    output = subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


SCENARIOS = ("memory-warm",)


def run(settings: Settings, selected: Sequence[str]) -> list[Figure]:
    """``memory-warm``: each kind at each size (10k; 100k too unless quick)."""
    sizes = (10_000,) if settings.seconds < 5 else (10_000, 100_000)
    figures = []
    print("\n== memory suite: in-process, one fresh process per figure")
    for size in sizes:
        for kind in KINDS:
            result = measure(size, kind)
            per_instance = float(result["per_instance"])
            figure = Figure(
                f"memory-warm {size // 1000}k {kind}",
                f"RSS growth per {kind}-registered instance, {size:,} instances,"
                " caches warm (both APIs' listings and lookups rendered)",
                value=f"{per_instance:,.0f} B/instance"
                f" ({result['grown'] / 2**20:.1f} MiB per {size:,})",
                target=f"<= {TARGET_BYTES:,} B/instance",
                met=per_instance <= TARGET_BYTES,
            )
            print_figure(figure)
            figures.append(figure)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--kind", choices=KINDS, default="native")
    parser.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="N",
        help="trace allocations too and list the top N sites (slower)",
    )
    args = parser.parse_args()
    if args.instances <= 0 or args.instances % PER_SERVICE:
        parser.error(f"--instances: a positive multiple of {PER_SERVICE}")
    print(json.dumps(measure_here(args.instances, args.kind, args.tracemalloc)))


if __name__ == "__main__":
    main()
