"""What metrics cost: ``.venv/bin/python bench/metrics_bench.py [--seconds S]``.

Starts the registry twice (in-memory store, one granian worker, ``--threads 4``),
with ``--metrics`` off and then on, on free loopback ports, and for each:

1. the heartbeat rate and the server CPU per heartbeat (the issue's target: metrics
   on costs under 5% of the rate), alternating off/on runs so a busy machine
   skews both alike (the median of ``--repeat`` runs each);
2. with metrics on, ``/metrics`` answered with 10,000 instances in 100 services
   (target: under 50 ms), timed one scrape after another;
3. the same heartbeat through Django's WSGI handler in this process (no HTTP
   server, no load generator, no test client), metrics off and on alternated:
   the figure least disturbed by other work on the machine;
4. with ``--redis``, the same scrapes on Redis with two workers, of an unchanged
   namespace and right after each of 30 registrations (the counts come from the
   counts Redis keeps, and are checked exact after each).

It prints the figures next to the targets and never fails on a target. Every
process it starts is stopped by its pid.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core import Settings, make_client
from native_suite import (
    SERVICES,
    TOTAL_INSTANCES,
    NativeBench,
    catalog_requests,
)
from server import RedisServer, Server

SCRAPE_TARGET_MS = 50.0
HEARTBEAT_COST_TARGET = 0.05


def settings(seconds: float, repeat: int, work_dir: Path) -> Settings:
    return Settings(
        seconds=seconds,
        repeat=repeat,
        connections=16,
        use_wrk=False,
        work_dir=work_dir,
        log_level="warning",
        threads=4,
        churn_rate=0.0,
        redis_sizes=(),
        register_connections=64,
        server="granian",
    )


def heartbeats(bench: NativeBench) -> tuple[float, float]:
    """Heartbeat rate and server CPU µs per heartbeat (median run)."""
    figure = bench.heartbeat()
    assert figure.measured is not None
    rate = figure.measured.rate
    cpu = sum(figure.cpu.values())  # share of one core
    return rate, (cpu / rate * 1e6) if rate else 0.0


def scrape_times(server: Server, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, body = server.request("GET", "/metrics")
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    text = body.decode()
    line = f'registry_instances{{namespace="default",status="UP"}} {TOTAL_INSTANCES}.0'
    assert line in text, "the scrape does not count the 10,000 instances"
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--redis", action="store_true", help="scrapes on Redis too")
    parser.add_argument(
        "--redis-only", action="store_true", help="the Redis scrapes alone"
    )
    parser.add_argument(
        "--in-process-only", action="store_true", help="the in-process heartbeat alone"
    )
    args = parser.parse_args()
    work_dir = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    if args.redis_only:
        redis_scrapes(work_dir)
        return
    if args.in_process_only:
        in_process_heartbeats()
        return
    config = settings(args.seconds, 1, work_dir)
    rates: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    servers = {
        on: Server(threads=4, server="granian", options=["--metrics"] if on else [])
        for on in (False, True)
    }
    for server in servers.values():
        server.start(work_dir)
    try:
        benches = {
            on: NativeBench(server, make_client(config, server.port), config)
            for on, server in servers.items()
        }
        for bench in benches.values():
            bench.warm_up(0.5)
        for _ in range(args.repeat):
            for on, bench in benches.items():
                rate, us = heartbeats(bench)
                rates[on].append(rate)
                cpu[on].append(us)
        on_bench = benches[True]
        on_bench.register("register", catalog_requests(), reported=False)
        on_bench.check_catalog(TOTAL_INSTANCES, SERVICES)
        times = scrape_times(servers[True], 30)
    finally:
        for server in servers.values():
            server.stop()
    report(rates, cpu, times)
    in_process_heartbeats()
    if args.redis:
        redis_scrapes(work_dir)


def in_process_heartbeats(rounds: int = 30, beats: int = 2000) -> None:
    """CPU µs per heartbeat through Django's WSGI handler (no server, no test
    client), metrics off and on alternated: the best round of each, and the
    median of the paired differences."""
    import io
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_project.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import Client

    from registry.config import RegistryConfig
    from registry.runtime import RegistryRuntime, install_runtime

    setups = {}
    for on in (False, True):
        runtime = RegistryRuntime(RegistryConfig(metrics=on))
        install_runtime(runtime)
        body = b'{"service_name":"b","endpoint":{"type":"http","value":"h:1"}}'
        created = Client().post("/api/v1/instances", body, "application/json").json()
        path = f"/api/v1/instances/{created['id']}/heartbeat"
        setups[on] = (runtime, WSGIHandler(), heartbeat_environ(path))
    statuses: list[str] = []

    def start_response(status: str, headers: object, *_: object) -> Callable[..., None]:
        statuses.append(status)
        return lambda data: None

    best = {False: float("inf"), True: float("inf")}
    differences = []
    for _ in range(rounds):
        took = {}
        for on, (runtime, handler, environ) in setups.items():
            install_runtime(runtime)
            # CPU time, not wall time: a busy machine takes the core away, which
            # wall time would count; what a heartbeat costs is what CPU it uses.
            started = time.process_time()
            for _ in range(beats):
                request = {**environ, "wsgi.input": io.BytesIO(b"")}
                for _chunk in handler(request, start_response):
                    pass
            took[on] = (time.process_time() - started) / beats * 1e6
            best[on] = min(best[on], took[on])
        differences.append(took[True] - took[False])
    assert statuses[-1].startswith("200"), statuses[-1]
    added = statistics.median(differences)
    cost = added / best[False]
    verdict = "met" if cost < HEARTBEAT_COST_TARGET else "NOT met"
    print(
        f"in process (WSGI handler), {rounds} x {beats} heartbeats: best"
        f" {best[False]:.1f} CPU µs off, {best[True]:.1f} on; metrics add"
        f" {added:.1f} µs (median of paired rounds): {cost:+.1%}"
        f" (target < 5%: {verdict})"
    )


def heartbeat_environ(path: str) -> dict[str, str]:
    return {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "HTTP_HOST": "127.0.0.1:8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": "0",
    }


def redis_scrapes(work_dir: Path) -> None:
    redis_server = RedisServer()
    redis_server.start(work_dir)
    flags = ["--metrics", "--store", "redis", "--store_address", redis_server.address]
    server = Server(
        threads=2, server="granian", workers=2, options=[*flags, "--workers", "2"]
    )
    try:
        server.start(work_dir)
        config = settings(1, 1, work_dir)
        bench = NativeBench(server, make_client(config, server.port), config)
        bench.register("register", catalog_requests(), reported=False)
        times = scrape_times(server, 30)
        changed = scrapes_after_changes(server, 30)
    finally:
        server.stop()
        redis_server.stop()
    warm, after = statistics.median(times), statistics.median(changed)
    verdict = "met" if max(warm, after) < SCRAPE_TARGET_MS else "NOT met"
    print(
        f"\n/metrics on Redis (2 workers), {TOTAL_INSTANCES:,} instances:"
        f" unchanged namespace p50 {warm:.1f} ms, worst {max(times):.1f} ms;"
        f" right after a change p50 {after:.1f} ms, worst {max(changed):.1f} ms;"
        f" target < {SCRAPE_TARGET_MS:.0f} ms: {verdict}"
    )


def scrapes_after_changes(server: Server, count: int) -> list[float]:
    """Each scrape right after a registration that moves the namespace's
    ``change_revision`` (whichever worker answers counts again), then exactness:
    the counts match the registrations."""
    times = []
    for n in range(count):
        body = (
            b'{"service_name":"changing","endpoint":{"type":"http","value":"c:%d"},'
            b'"status":"STARTING","ttl":600}' % n
        )
        status, _ = server.request("POST", "/api/v1/instances", body)
        assert status == 201, status
        started = time.perf_counter()
        status, text = server.request("GET", "/metrics")
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        line = f'registry_instances{{namespace="default",status="STARTING"}} {n + 1}.0'
        assert line.encode() in text, "the scrape after a change is not exact"
    return times


def report(
    rates: dict[bool, list[float]], cpu: dict[bool, list[float]], times: list[float]
) -> None:
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    cpu_off, cpu_on = statistics.median(cpu[False]), statistics.median(cpu[True])
    cost = 1 - on / off if off else 0.0
    cpu_cost = cpu_on / cpu_off - 1 if cpu_off else 0.0
    p50, worst = statistics.median(times), max(times)
    print("\n== metrics cost (in-memory store, 1 granian worker, 4 threads)")
    print(f"heartbeat, metrics off: {off:8.0f} req/s  {cpu_off:6.1f} µs CPU/req")
    print(f"heartbeat, metrics on:  {on:8.0f} req/s  {cpu_on:6.1f} µs CPU/req")
    print(f"  runs off: {[round(r) for r in rates[False]]}")
    print(f"  runs on:  {[round(r) for r in rates[True]]}")
    verdict = "met" if cost < HEARTBEAT_COST_TARGET else "NOT met"
    print(
        f"rate cost of metrics: {cost:6.1%} (CPU per heartbeat {cpu_cost:+.1%});"
        f" target < {HEARTBEAT_COST_TARGET:.0%}: {verdict}"
    )
    verdict = "met" if p50 < SCRAPE_TARGET_MS else "NOT met"
    print(
        f"/metrics with {TOTAL_INSTANCES:,} instances in {SERVICES} services:"
        f" p50 {p50:.1f} ms, worst {worst:.1f} ms of {len(times)};"
        f" target < {SCRAPE_TARGET_MS:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
