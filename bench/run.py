"""Benchmark the registry over loopback: ``.venv/bin/python bench/run.py [--quick]``.

Starts ``manage.py runregistry`` on a free 127.0.0.1 port, drives it with concurrent
keep-alive clients (``wrk`` when it is on PATH, else ``bench/loadgen.py``), prints
requests/s, p50/p99 latency and status counts per scenario, and stops the server by
its pid. It reports figures next to the issue's targets and never fails on a target.

Order of a full run: warm-up, heartbeat (on an instance of its own, deregistered
afterwards), worker RSS, register 10,000 instances, worker RSS again (memory), then
the reads against exactly those 10,000 instances.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import loadgen
import wrk
from server import HOST, Server, cpu_seconds, rss_bytes

SERVICES = 100
INSTANCES_PER_SERVICE = 100
TOTAL_INSTANCES = SERVICES * INSTANCES_PER_SERVICE
READ_SERVICE = "svc-42"
HEARTBEAT_SERVICE = "bench-heartbeat"

SCENARIOS = ("heartbeat", "register", "list", "service", "query", "memory")
#: Not in the issue, so only on request: the listing while heartbeats arrive.
OPTIONAL_SCENARIOS = ("list-churn",)
NEEDS_CATALOG = frozenset(
    {"register", "list", "service", "query", "memory", "list-churn"}
)

#: Issue targets (2 cores shared by client and server): requests/s, or bytes.
RATE_TARGETS = {"heartbeat": 3000.0, "list": 400.0, "service": 2500.0, "query": 2000.0}
MEMORY_TARGET_BYTES = 2048
#: Above this a response body is "large": wrk then counts status classes only.
LARGE_BODY_BYTES = 64 * 1024


def registration_body(service: str, endpoint: str) -> bytes:
    """The realistic registration of the issue: endpoint, TTL, one tag, metadata."""
    body = {
        "service_name": service,
        "endpoint": {"type": "http", "value": endpoint},
        "ttl": 600,
        "tags": ["v1"],
        "metadata": {"version": "v1"},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def catalog_bodies() -> list[bytes]:
    """10,000 distinct registrations: ``svc-0..99`` x endpoints ``10.0.<s>.<i>``."""
    return [
        registration_body(f"svc-{s}", f"10.0.{s}.{i}:8080")
        for s in range(SERVICES)
        for i in range(INSTANCES_PER_SERVICE)
    ]


# --- load clients -------------------------------------------------------------


@dataclass
class Measured:
    """One load run as any client measured it."""

    requests: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    #: Responses per status code (or per class where wrk cannot afford codes).
    statuses: dict[str, int]
    errors: int
    client_cpu: float


class LoadClient(Protocol):
    name: str

    def timed(
        self,
        method: str,
        path: str,
        body: bytes | None,
        seconds: float,
        large_bodies: bool = False,
    ) -> Measured: ...

    def count(self, method: str, path: str, bodies: Sequence[bytes]) -> Measured: ...


@dataclass
class WrkClient:
    port: int
    connections: int
    work_dir: Path
    name: str = "wrk"

    def _url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def timed(
        self,
        method: str,
        path: str,
        body: bytes | None,
        seconds: float,
        large_bodies: bool = False,
    ) -> Measured:
        report = wrk.run_timed(
            self._url(path),
            method=method,
            body=body.decode() if body is not None else None,
            connections=self.connections,
            seconds=seconds,
            work_dir=self.work_dir,
            count_statuses=not large_bodies,
        )
        return _from_wrk(report)

    def count(self, method: str, path: str, bodies: Sequence[bytes]) -> Measured:
        report = wrk.run_count(
            self._url(path),
            bodies,
            method=method,
            connections=self.connections,
            work_dir=self.work_dir,
        )
        return _from_wrk(report)


def _from_wrk(report: wrk.WrkReport) -> Measured:
    return Measured(
        requests=report.requests,
        seconds=report.seconds,
        rate=report.rate,
        p50_ms=report.percentiles_ms.get(50.0, 0.0),
        p99_ms=report.percentiles_ms.get(99.0, 0.0),
        statuses=report.statuses,
        errors=report.socket_errors,
        client_cpu=report.client_cpu,
    )


@dataclass
class LoadgenClient:
    port: int
    connections: int
    name: str = "loadgen (Python asyncio)"

    def _host(self) -> str:
        return f"{HOST}:{self.port}"

    def timed(
        self,
        method: str,
        path: str,
        body: bytes | None,
        seconds: float,
        large_bodies: bool = False,
    ) -> Measured:
        request = loadgen.build_request(method, path, self._host(), body or b"")
        result = loadgen.run_load(
            self.port,
            lambda: request,
            concurrency=self.connections,
            seconds=seconds,
        )
        return _from_loadgen(result)

    def count(self, method: str, path: str, bodies: Sequence[bytes]) -> Measured:
        host = self._host()
        pending = iter([loadgen.build_request(method, path, host, b) for b in bodies])
        result = loadgen.run_load(
            self.port,
            lambda: next(pending, None),
            concurrency=self.connections,
            seconds=3600.0,
        )
        return _from_loadgen(result)


def _from_loadgen(result: loadgen.LoadResult) -> Measured:
    return Measured(
        requests=result.requests,
        seconds=result.seconds,
        rate=result.rate,
        p50_ms=result.percentile(50),
        p99_ms=result.percentile(99),
        statuses={str(code): n for code, n in result.statuses.items()},
        errors=result.errors,
        client_cpu=result.client_cpu,
    )


# --- figures --------------------------------------------------------------------


@dataclass
class Figure:
    """One scenario's line in the report."""

    scenario: str
    what: str
    measured: Measured | None = None
    #: Fraction of one core the gunicorn worker used during the run.
    server_cpu: float = 0.0
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    #: For the memory scenario (no load run).
    value: str = ""


def rate_figure(
    scenario: str, what: str, measured: Measured, server_cpu: float
) -> Figure:
    figure = Figure(scenario, what, measured, server_cpu)
    target = RATE_TARGETS.get(scenario)
    if target is not None:
        figure.target = f">= {target:,.0f}/s"
        figure.met = measured.rate >= target
    return figure


def print_figure(figure: Figure) -> None:
    print(f"\n[{figure.scenario}] {figure.what}")
    m = figure.measured
    if m is not None:
        print(
            f"  {m.rate:9,.0f} req/s   p50 {m.p50_ms:7.2f} ms   p99 {m.p99_ms:7.2f} ms"
            f"   n={m.requests:,} in {m.seconds:.2f} s"
        )
        statuses = ", ".join(f"{c}: {n:,}" for c, n in sorted(m.statuses.items()))
        errors = f"   socket errors: {m.errors}" if m.errors else ""
        print(f"  statuses {{{statuses}}}{errors}")
        print(
            f"  cpu: server worker {figure.server_cpu:.0%} of a core,"
            f" client {m.client_cpu / m.seconds if m.seconds else 0:.0%}"
        )
    if figure.value:
        print(f"  {figure.value}")
    if figure.target and figure.met is not None:
        print(f"  target {figure.target}: {'met' if figure.met else 'NOT met'}")
    elif figure.target:
        print(f"  target: {figure.target}")
    for note in figure.notes:
        print(f"  note: {note}")


def print_table(figures: Sequence[Figure]) -> None:
    print("\n| scenario | req/s | p50 ms | p99 ms | statuses | target | met |")
    print("|---|---:|---:|---:|---|---|---|")
    for f in figures:
        m = f.measured
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        if m is None:
            print(f"| {f.scenario} | {f.value} | | | | {f.target} | {met} |")
            continue
        statuses = " ".join(f"{c}:{n}" for c, n in sorted(m.statuses.items()))
        if m.errors:
            statuses += f" sock-err:{m.errors}"
        rate = f"{m.rate:,.0f}"
        if f.scenario == "register":
            rate += f" ({m.seconds:.2f} s total)"
        print(
            f"| {f.scenario} | {rate} | {m.p50_ms:.2f} | {m.p99_ms:.2f} |"
            f" {statuses} | {f.target} | {met} |"
        )


# --- the run --------------------------------------------------------------------


class Bench:
    def __init__(
        self,
        server: Server,
        client: LoadClient,
        seconds: float,
        warmup: float,
        repeat: int = 1,
    ) -> None:
        self.server = server
        self.client = client
        self.seconds = seconds
        self.warmup = warmup
        self.repeat = repeat
        self.worker = server.worker_pid()
        self.figures: list[Figure] = []

    def _load(
        self, method: str, path: str, large_bodies: bool = False
    ) -> tuple[Measured, float, list[float]]:
        """Run ``repeat`` times; the median run by rate, its server CPU, all rates."""
        runs: list[tuple[Measured, float]] = []
        for _ in range(self.repeat):
            cpu = cpu_seconds(self.worker)
            measured = self.client.timed(
                method, path, None, self.seconds, large_bodies=large_bodies
            )
            server_cpu = _share(cpu_seconds(self.worker) - cpu, measured.seconds)
            runs.append((measured, server_cpu))
        runs.sort(key=lambda run: run[0].rate)
        measured, server_cpu = runs[len(runs) // 2]
        return measured, server_cpu, [run[0].rate for run in runs]

    def _expect(
        self, method: str, path: str, status: int, body: bytes | None = None
    ) -> bytes:
        got, payload = self.server.request(method, path, body)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} (wanted {status}): {payload!r}")
        return payload

    def warm_up(self) -> None:
        """Touch every code path once, and let gunicorn start all its threads."""
        body = registration_body("bench-warmup", "10.0.255.254:8080")
        instance = json.loads(self._expect("POST", "/api/v1/instances", 201, body))
        path = f"/api/v1/instances/{instance['id']}"
        for _ in range(20):
            self._expect("PUT", f"{path}/heartbeat", 200)
            self._expect("GET", "/api/v1/services/bench-warmup", 200)
            self._expect("GET", "/api/v1/instances?service_name=bench-warmup", 200)
            self._expect("GET", "/api/v1/instances", 200)
        self._expect("DELETE", path, 200)
        if self.warmup > 0:
            self.client.timed("GET", "/api/v1/services", None, self.warmup)

    def heartbeat(self) -> None:
        body = registration_body(HEARTBEAT_SERVICE, "10.0.255.1:8080")
        instance = json.loads(self._expect("POST", "/api/v1/instances", 201, body))
        path = f"/api/v1/instances/{instance['id']}"
        measured, server_cpu, rates = self._load("PUT", f"{path}/heartbeat")
        figure = rate_figure(
            "heartbeat", "PUT /api/v1/instances/{id}/heartbeat", measured, server_cpu
        )
        _note_runs(figure, rates)
        self.figures.append(figure)
        print_figure(figure)
        # Leave exactly the 10,000 catalog instances for the reads.
        self._expect("DELETE", path, 200)

    def register(self, reported: bool) -> int:
        """Register the 10,000 instances; return worker RSS growth in bytes."""
        time.sleep(0.5)  # let the worker settle after the previous run
        before = rss_bytes(self.worker)
        cpu = cpu_seconds(self.worker)
        measured = self.client.count("POST", "/api/v1/instances", catalog_bodies())
        server_cpu = _share(cpu_seconds(self.worker) - cpu, measured.seconds)
        time.sleep(0.5)  # requests still in flight when the client stopped
        after = rss_bytes(self.worker)
        figure = Figure(
            "register",
            f"POST /api/v1/instances x {TOTAL_INSTANCES:,} distinct"
            f" ({SERVICES} services x {INSTANCES_PER_SERVICE})",
            measured,
            server_cpu,
        )
        if not reported:
            figure.notes.append("setup for the read scenarios (not selected)")
        else:
            figure.target = "none: rate and total time"
            self.figures.append(figure)
        print_figure(figure)
        self._check_catalog()
        return after - before

    def _check_catalog(self) -> None:
        listed = json.loads(self._expect("GET", "/api/v1/services", 200))
        instances = json.loads(self._expect("GET", "/api/v1/instances", 200))
        count = len(instances["instances"])
        services = len(listed["services"])
        ok = count == TOTAL_INSTANCES and services == SERVICES
        print(
            f"  check: {count:,} instances in {services} services registered"
            f" ({'as expected' if ok else 'UNEXPECTED'})"
        )

    def memory(self, grown: int) -> None:
        per_instance = grown / TOTAL_INSTANCES
        figure = Figure(
            "memory",
            f"gunicorn worker RSS growth for {TOTAL_INSTANCES:,} registrations",
            value=f"{per_instance:,.0f} B/instance"
            f" ({grown / 2**20:.1f} MiB per {TOTAL_INSTANCES:,})",
            target=f"< {MEMORY_TARGET_BYTES:,} B/instance",
            met=per_instance < MEMORY_TARGET_BYTES,
        )
        figure.notes.append(f"worker RSS now {rss_bytes(self.worker) / 2**20:.1f} MiB")
        self.figures.append(figure)
        print_figure(figure)

    def read(self, scenario: str, path: str) -> None:
        # The first GET renders the body into the response cache; the load run
        # then measures the cached path. Time that first render separately.
        self._expect("PUT", "/api/v1/instances/" + self._any_id() + "/heartbeat", 200)
        started = time.perf_counter()
        payload = self._expect("GET", path, 200)
        first_ms = (time.perf_counter() - started) * 1000
        large = len(payload) > LARGE_BODY_BYTES
        measured, server_cpu, rates = self._load("GET", path, large_bodies=large)
        figure = rate_figure(scenario, f"GET {path}", measured, server_cpu)
        figure.notes.append(
            f"body {len(payload):,} bytes; first GET after a change"
            f" (render, uncached) {first_ms:.1f} ms"
        )
        if large and self.client.name == "wrk":
            figure.notes.append(
                "statuses by class: a Lua response() hook per 2 MB body would"
                " cost wrk more CPU than the server"
            )
        _note_runs(figure, rates)
        self.figures.append(figure)
        print_figure(figure)

    def list_churn(self, beats_per_second: float) -> None:
        """The full listing while heartbeats keep invalidating its cached body."""
        heartbeat = f"/api/v1/instances/{self._any_id()}/heartbeat"
        stop = threading.Event()
        beats: list[int] = []

        def beat() -> None:
            connection = http.client.HTTPConnection(HOST, self.server.port)
            due = time.perf_counter()
            try:
                while not stop.is_set():
                    connection.request("PUT", heartbeat)
                    response = connection.getresponse()
                    response.read()
                    beats.append(response.status)
                    due += 1 / beats_per_second
                    stop.wait(max(0.0, due - time.perf_counter()))
            finally:
                connection.close()

        beater = threading.Thread(target=beat, name="heartbeats", daemon=True)
        started = time.perf_counter()
        beater.start()
        try:
            path = "/api/v1/instances"
            measured, server_cpu, rates = self._load("GET", path, large_bodies=True)
        finally:
            stop.set()
            beater.join()
        beat_rate = len(beats) / (time.perf_counter() - started)
        figure = Figure(
            "list-churn",
            f"GET {path} while one instance heartbeats {beats_per_second:g}/s",
            measured,
            server_cpu,
            target=f">= {RATE_TARGETS['list']:,.0f}/s (the list target)",
            met=measured.rate >= RATE_TARGETS["list"],
        )
        ok = sum(1 for code in beats if code == 200)
        figure.notes.append(
            f"{len(beats):,} heartbeats sent ({beat_rate:,.0f}/s), {ok:,} answered 200"
        )
        _note_runs(figure, rates)
        self.figures.append(figure)
        print_figure(figure)

    def _any_id(self) -> str:
        payload = self._expect("GET", f"/api/v1/services/{READ_SERVICE}", 200)
        instance_id: str = json.loads(payload)["instances"][0]["id"]
        return instance_id


def _note_runs(figure: Figure, rates: Sequence[float]) -> None:
    if len(rates) > 1:
        shown = ", ".join(f"{rate:,.0f}" for rate in rates)
        figure.notes.append(f"median of {len(rates)} runs (req/s: {shown})")


def _share(cpu: float, seconds: float) -> float:
    return cpu / seconds if seconds else 0.0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="~1.5 s per timed scenario instead of 5"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="gunicorn threads (default 4)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS + OPTIONAL_SCENARIOS,
        metavar="NAME",
        help=f"run only these (repeatable): {', '.join(SCENARIOS)};"
        " opt-in: list-churn (GET /api/v1/instances while one instance heartbeats"
        " --churn-rate times a second)",
    )
    parser.add_argument(
        "--churn-rate",
        type=float,
        default=100.0,
        help="heartbeats/s during list-churn (default 100)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each timed scenario N times and report the median (default 1)",
    )
    parser.add_argument(
        "--seconds", type=float, help="duration of each timed scenario (overrides)"
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "loadgen"),
        default="auto",
        help="load client; auto = wrk if on PATH, else loadgen",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        help="server --log_level; 'info' turns the per-request access log on",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    everything = SCENARIOS + OPTIONAL_SCENARIOS
    selected = (
        list(SCENARIOS)
        if args.scenario is None
        else [s for s in everything if s in args.scenario]
    )
    seconds = args.seconds or (1.5 if args.quick else 5.0)
    use_wrk = args.client == "wrk" or (args.client == "auto" and wrk.available())
    if args.client == "wrk" and not wrk.available():
        raise SystemExit("wrk is not on PATH")

    with tempfile.TemporaryDirectory(prefix="a8bench-") as tmp:
        work_dir = Path(tmp)
        server = Server(threads=args.threads, log_level=args.log_level)
        server.start(work_dir)
        try:
            client: LoadClient = (
                WrkClient(server.port, args.connections, work_dir)
                if use_wrk
                else LoadgenClient(server.port, args.connections)
            )
            print(
                f"a8 registry benchmark {datetime.date.today().isoformat()}:"
                f" client {client.name}, {args.connections} connections,"
                f" {seconds:g} s per timed scenario"
            )
            print(
                f"server pid {server.pid} on {HOST}:{server.port}: gunicorn gthread,"
                f" 1 worker, --threads {args.threads}, --log_level {args.log_level};"
                f" {os.cpu_count()} CPUs, Python {platform.python_version()}"
            )
            bench = Bench(
                server,
                client,
                seconds,
                warmup=min(1.0, seconds / 2),
                repeat=max(1, args.repeat),
            )
            print(f"worker pid {bench.worker}")
            bench.warm_up()
            if "heartbeat" in selected:
                bench.heartbeat()
            if NEEDS_CATALOG & set(selected):
                grown = bench.register(reported="register" in selected)
                if "memory" in selected:
                    bench.memory(grown)
            reads = {
                "list": "/api/v1/instances",
                "service": f"/api/v1/services/{READ_SERVICE}",
                "query": f"/api/v1/instances?service_name={READ_SERVICE}",
            }
            for scenario, path in reads.items():
                if scenario in selected:
                    bench.read(scenario, path)
            if "list-churn" in selected:
                bench.list_churn(args.churn_rate)
            print_table(bench.figures)
        except BaseException:
            print(f"\n--- server log ({server.log_path}), last lines ---")
            print(server.log_tail(40))
            raise
        finally:
            server.stop()
            print(f"\nserver pid {server.pid} stopped (exit {server.process_exit()})")


if __name__ == "__main__":
    main()
