"""What every suite shares: the load clients, the figures and the scenario helpers.

A suite (``native_suite``, ``eureka_suite``, ``redis_suite``) starts its own
server, builds a :class:`Bench` on it and appends one :class:`Figure` per measured
scenario; ``run.py`` prints them all at the end.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import ceiling
import loadgen
import wrk
from ceiling import Ceiling
from server import HOST, Headers, Server, cpu_seconds, rss_bytes, stop_process
from yardstick import Yardstick

T = TypeVar("T")

#: Above this a response body is "large": wrk then counts status classes only.
LARGE_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Settings:
    """The command line, as the suites need it."""

    seconds: float
    repeat: int
    connections: int
    use_wrk: bool
    work_dir: Path
    log_level: str
    #: ``--threads``; None: each suite's default.
    threads: int | None
    churn_rate: float
    #: Catalog sizes of the Redis suite, ascending.
    redis_sizes: tuple[int, ...]
    #: Connections for the Redis suite's registrations.
    register_connections: int
    #: ``runregistry --server`` for this run (None: its only server, gunicorn).
    server: str | None = None
    #: Measured around every timed scenario when granian is there (shares).
    yardstick: Yardstick | None = None


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


#: One load run: what the client measured, and each server process's CPU share.
Run = tuple[Measured, dict[str, float]]


class LoadClient(Protocol):
    name: str

    def timed(
        self,
        method: str,
        path: str,
        body: bytes | None,
        seconds: float,
        large_bodies: bool = False,
        headers: Headers = (),
    ) -> Measured: ...

    def count(
        self,
        method: str,
        requests: Sequence[tuple[str, bytes]],
        connections: int | None = None,
    ) -> Measured: ...


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
        headers: Headers = (),
    ) -> Measured:
        report = wrk.run_timed(
            self._url(path),
            method=method,
            body=body.decode() if body is not None else None,
            connections=self.connections,
            seconds=seconds,
            work_dir=self.work_dir,
            count_statuses=not large_bodies,
            headers=headers,
        )
        return _from_wrk(report)

    def count(
        self,
        method: str,
        requests: Sequence[tuple[str, bytes]],
        connections: int | None = None,
    ) -> Measured:
        report = wrk.run_count(
            self._url("/"),
            requests,
            method=method,
            connections=connections or self.connections,
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
        headers: Headers = (),
    ) -> Measured:
        request = loadgen.build_request(
            method, path, self._host(), body or b"", headers
        )
        result = loadgen.run_load(
            self.port,
            lambda: request,
            concurrency=self.connections,
            seconds=seconds,
        )
        return _from_loadgen(result)

    def count(
        self,
        method: str,
        requests: Sequence[tuple[str, bytes]],
        connections: int | None = None,
    ) -> Measured:
        host = self._host()
        pending = iter(
            [loadgen.build_request(method, path, host, b) for path, b in requests]
        )
        result = loadgen.run_load(
            self.port,
            lambda: next(pending, None),
            concurrency=connections or self.connections,
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


def make_client(settings: Settings, port: int) -> LoadClient:
    if settings.use_wrk:
        return WrkClient(port, settings.connections, settings.work_dir)
    return LoadgenClient(port, settings.connections)


# --- figures --------------------------------------------------------------------


@dataclass
class Figure:
    """One scenario's line in the report."""

    scenario: str
    what: str
    measured: Measured | None = None
    #: Share of one core each measured process used during the run, by label.
    cpu: dict[str, float] = field(default_factory=dict)
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    #: For figures without a load run (memory).
    value: str = ""
    #: A fixed number of requests (registrations): the table adds the total time.
    fixed_count: bool = False
    #: The HTTP server that served the scenario (granian, gunicorn).
    server: str = ""
    #: The yardstick's rate right before and right after the scenario.
    yardstick: tuple[float, float] | None = None
    #: A full listing: the same server sending a constant body that size.
    ceiling: Ceiling | None = None

    @property
    def share(self) -> float | None:
        """The rate as a share of the mean yardstick rate around it."""
        if self.measured is None or not self.yardstick:
            return None
        mean = sum(self.yardstick) / 2
        return self.measured.rate / mean if mean else None


def rate_figure(
    scenario: str,
    what: str,
    measured: Measured,
    cpu: dict[str, float],
    target: float | None,
) -> Figure:
    figure = Figure(scenario, what, measured, cpu)
    if target is not None:
        figure.target = f">= {target:,.0f}/s"
        figure.met = measured.rate >= target
    return figure


def print_figure(figure: Figure) -> None:
    on = f" [{figure.server}]" if figure.server else ""
    print(f"\n[{figure.scenario}]{on} {figure.what}")
    m = figure.measured
    if m is not None:
        print(
            f"  {m.rate:9,.0f} req/s   p50 {m.p50_ms:7.2f} ms   p99 {m.p99_ms:7.2f} ms"
            f"   n={m.requests:,} in {m.seconds:.2f} s"
        )
        if figure.yardstick is not None and figure.share is not None:
            before, after = figure.yardstick
            print(
                f"  share of yardstick {figure.share:6.1%}   (yardstick {before:,.0f}"
                f" req/s before, {after:,.0f} after)"
            )
        statuses = ", ".join(f"{c}: {n:,}" for c, n in sorted(m.statuses.items()))
        errors = f"   socket errors: {m.errors}" if m.errors else ""
        print(f"  statuses {{{statuses}}}{errors}")
        shares = [f"{label} {share:.0%}" for label, share in figure.cpu.items()]
        shares.append(f"client {share(m.client_cpu, m.seconds):.0%}")
        print(f"  cpu (share of one core): {', '.join(shares)}")
        per_request = ", ".join(
            f"{label} {us:,.0f}" for label, us in cpu_per_request(figure).items()
        )
        print(f"  server cpu per request (us): {per_request}")
    if m is not None and figure.ceiling is not None and figure.ceiling.rate:
        c = figure.ceiling
        print(
            f"  ceiling: bare {c.server}, a constant {c.body_bytes:,}-byte body"
            f" ({c.how}):"
            f" {c.rate:,.0f} req/s, server cpu {c.cpu_us_per_request:,.0f} us/req,"
            f" client {c.client_share:.0%}; this scenario {m.rate / c.rate:.0%} of it"
        )
    if figure.value:
        print(f"  {figure.value}")
    if figure.target and figure.met is not None:
        print(f"  target {figure.target}: {'met' if figure.met else 'NOT met'}")
    elif figure.target:
        print(f"  target: {figure.target}")
    for note in figure.notes:
        print(f"  note: {note}")


def cpu_per_request(figure: Figure) -> dict[str, float]:
    """Server CPU microseconds per request, by process label.

    Steadier than the rate on a shared machine: other work takes cores away
    from the server, not CPU time out of each request.
    """
    m = figure.measured
    if m is None or not m.requests:
        return {}
    return {
        label: cpu * m.seconds / m.requests * 1e6 for label, cpu in figure.cpu.items()
    }


def print_table(figures: Sequence[Figure]) -> None:
    print(
        "\n| scenario | server | req/s | share of yardstick | p50 ms | p99 ms"
        " | server CPU us/req | statuses | target | met |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---|---|")
    for f in figures:
        m = f.measured
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        if m is None:
            print(
                f"| {f.scenario} | {f.server} | {f.value} | | | | | |"
                f" {f.target} | {met} |"
            )
            continue
        cost = " + ".join(f"{us:,.0f}" for us in cpu_per_request(f).values())
        statuses = " ".join(f"{c}:{n}" for c, n in sorted(m.statuses.items()))
        if m.errors:
            statuses += f" sock-err:{m.errors}"
        rate = f"{m.rate:,.0f}"
        if f.fixed_count:
            rate += f" ({m.seconds:.2f} s total)"
        shown = "" if f.share is None else f"{f.share:.1%}"
        print(
            f"| {f.scenario} | {f.server} | {rate} | {shown} | {m.p50_ms:.2f}"
            f" | {m.p99_ms:.2f} | {cost} | {statuses} | {f.target} | {met} |"
        )


def note_runs(figure: Figure, runs: Sequence[Run]) -> None:
    """List every run's rate; ``*`` marks runs with an uneven worker load."""
    if len(runs) > 1:
        shown = ", ".join(
            f"{measured.rate:,.0f}{'*' if uneven(cpu) else ''}"
            for measured, cpu in runs
        )
        legend = " (* uneven worker load)" if "*" in shown else ""
        figure.notes.append(f"median of {len(runs)} runs (req/s: {shown}){legend}")


def uneven(cpu: dict[str, float]) -> bool:
    """Whether one of several workers did less than half of another's work."""
    workers = [share for label, share in cpu.items() if label.startswith("worker ")]
    return len(workers) > 1 and min(workers) < max(workers) / 2


def worker_shares(cpu: dict[str, float]) -> dict[str, float]:
    """Each worker's part of the workers' CPU, when there are several."""
    workers = {label: v for label, v in cpu.items() if label.startswith("worker ")}
    total = sum(workers.values())
    if len(workers) < 2 or not total:
        return {}
    return {label: v / total for label, v in workers.items()}


def share(cpu: float, seconds: float) -> float:
    return cpu / seconds if seconds else 0.0


# --- scenario helpers -------------------------------------------------------------


class Bench:
    """Load runs and checks against one started server.

    ``processes`` names the server-side processes whose CPU each figure reports
    (label -> pids; the gunicorn workers by default).
    """

    def __init__(
        self,
        server: Server,
        client: LoadClient,
        settings: Settings,
        processes: dict[str, list[int]] | None = None,
    ) -> None:
        self.server = server
        self.client = client
        self.settings = settings
        self.seconds = settings.seconds
        self.repeat = max(1, settings.repeat)
        self.workers = server.worker_pids()
        label = "server worker" if len(self.workers) == 1 else "server workers"
        self.processes = processes or {label: self.workers}
        self.figures: list[Figure] = []
        self._yardstick_before: float | None = None
        #: The yardstick around the last load run (see :meth:`add`).
        self._yardstick: tuple[float, float] | None = None

    def cpu_snapshot(self) -> dict[str, float]:
        return {
            label: sum(cpu_seconds(pid) for pid in pids)
            for label, pids in self.processes.items()
        }

    def cpu_since(self, before: dict[str, float], seconds: float) -> dict[str, float]:
        now = self.cpu_snapshot()
        return {label: share(now[label] - before[label], seconds) for label in now}

    def load(
        self,
        method: str,
        path: str,
        large_bodies: bool = False,
        headers: Headers = (),
    ) -> tuple[Measured, dict[str, float], list[Run]]:
        """Run ``repeat`` times; the median run by rate, its server CPU, all runs."""
        self.yardstick_before()
        runs: list[Run] = []
        for _ in range(self.repeat):
            before = self.cpu_snapshot()
            measured = self.client.timed(
                method, path, None, self.seconds, large_bodies, headers
            )
            runs.append((measured, self.cpu_since(before, measured.seconds)))
        self.yardstick_after()
        runs.sort(key=lambda run: run[0].rate)
        measured, cpu = runs[len(runs) // 2]
        return measured, cpu, runs

    def count(
        self,
        method: str,
        requests: Sequence[tuple[str, bytes]],
        connections: int | None = None,
    ) -> Run:
        """Send each request once; the measurement and the server CPU during it."""
        self.yardstick_before()
        before = self.cpu_snapshot()
        measured = self.client.count(method, requests, connections)
        cpu = self.cpu_since(before, measured.seconds)
        self.yardstick_after()
        return measured, cpu

    def yardstick_before(self) -> None:
        yardstick = self.settings.yardstick
        self._yardstick_before = None if yardstick is None else yardstick.around()

    def yardstick_after(self) -> None:
        yardstick, before = self.settings.yardstick, self._yardstick_before
        if yardstick is not None and before is not None:
            self._yardstick = (before, yardstick.measure())

    def register_all(
        self,
        scenario: str,
        requests: Sequence[tuple[str, bytes]],
        status: int,
        connections: int | None = None,
        what: str = "",
    ) -> Figure:
        """POST each ``(path, body)`` once, after checking the first answers ``status``.

        Re-sending a registration keeps its instance, so the check (and the few
        requests wrk re-sends at the end) leave exactly ``len(requests)``.
        """
        first_path, first_body = requests[0]
        self.expect("POST", first_path, status, first_body)
        measured, cpu = self.count("POST", requests, connections)
        return Figure(
            scenario,
            f"POST {what or first_path} x {len(requests):,} distinct"
            f" ({connections or self.settings.connections} connections)",
            measured,
            cpu,
            fixed_count=True,
        )

    def rss_growth(self, action: Callable[[], T]) -> tuple[T, int]:
        """``action()`` and how many bytes the (first) worker's RSS grew over it."""
        worker = self.workers[0]
        time.sleep(0.5)  # let the worker settle after the previous run
        before = rss_bytes(worker)
        result = action()
        time.sleep(0.5)  # requests still in flight when the client stopped
        return result, rss_bytes(worker) - before

    def report(self, figure: Figure, reported: bool) -> Figure:
        """Add a registration's figure, or only print it when it was setup."""
        if reported:
            figure.target = "none: rate and total time"
            return self.add(figure)
        figure.notes.append("setup for the scenarios selected (not reported)")
        print_figure(figure)
        return figure

    def expect(
        self,
        method: str,
        path: str,
        status: int,
        body: bytes | None = None,
        headers: Headers = (),
    ) -> bytes:
        got, payload = self.server.request(method, path, body, headers=headers)
        if got != status:
            raise RuntimeError(f"{method} {path}: {got} (wanted {status}): {payload!r}")
        return payload

    def timed(
        self,
        scenario: str,
        what: str,
        method: str,
        path: str,
        target: float | None,
        status: int = 200,
        headers: Headers = (),
    ) -> Figure:
        """Check ``method path`` answers ``status`` once, then time it."""
        self.expect(method, path, status, headers=headers)
        measured, cpu, runs = self.load(method, path, headers=headers)
        figure = rate_figure(scenario, what, measured, cpu, target)
        note_runs(figure, runs)
        return self.add(figure)

    def read(
        self,
        scenario: str,
        path: str,
        target: float | None,
        invalidate: Callable[[], None],
        headers: Headers = (),
        what: str = "",
        describe: Callable[[bytes], str] | None = None,
    ) -> Figure:
        """Time ``GET path`` on its cached path, after one timed uncached render.

        ``invalidate`` makes a change that makes the cached body stale; the first
        GET after it renders (its time is noted), the load run then measures the
        cached body. ``describe`` adds a note on that first body.
        """
        invalidate()
        started = time.perf_counter()
        payload = self.expect("GET", path, 200, headers=headers)
        first_ms = (time.perf_counter() - started) * 1000
        large = len(payload) > LARGE_BODY_BYTES
        measured, cpu, runs = self.load("GET", path, large, headers)
        figure = rate_figure(scenario, what or f"GET {path}", measured, cpu, target)
        figure.notes.append(
            f"body {len(payload):,} bytes; first GET after a change"
            f" (render, uncached) {first_ms:.1f} ms"
        )
        if describe is not None:
            figure.notes.append(describe(payload))
        if large and scenario in {name for name, _ in FULL_LISTINGS}:
            figure.ceiling = self.bare_ceiling(len(payload))
        if large and self.client.name == "wrk":
            figure.notes.append(
                "statuses by class: a Lua response() hook per large body would"
                " cost wrk more CPU than the server"
            )
        note_runs(figure, runs)
        return self.add(figure)

    def bare_ceiling(self, body_bytes: int) -> Ceiling:
        """This server, bare, sending a constant body of ``body_bytes`` (see
        :mod:`ceiling`) each way it can be given one; the fastest."""
        found = [
            self._bare(body_bytes, piece) for piece in ceiling.ways(self.server.name)
        ]
        return max(found, key=lambda bare: bare.rate)

    def _bare(self, body_bytes: int, piece_bytes: int) -> Ceiling:
        """One bare run, timed like a scenario after a short warm-up."""
        name = self.server.name
        process, port = ceiling.start(name, body_bytes, piece_bytes)
        try:
            client = make_client(self.settings, port)
            client.timed("GET", "/", None, min(1.0, self.seconds), True)
            before = ceiling.server_cpu(process.pid)
            measured = client.timed("GET", "/", None, self.seconds, True)
            used = ceiling.server_cpu(process.pid) - before
        finally:
            stop_process(process)
        return Ceiling(
            name,
            body_bytes,
            ceiling.describe(name, piece_bytes),
            measured.rate,
            used / max(measured.requests, 1) * 1e6,
            share(measured.client_cpu, measured.seconds),
        )

    def read_under_churn(
        self,
        scenario: str,
        path: str,
        target: float | None,
        change: tuple[str, str, bytes | None, int],
        per_second: float,
        label: str,
        headers: Headers = (),
    ) -> Figure:
        """Time ``GET path`` while a side connection sends ``change`` (method,
        path, body, expected status) ``per_second`` times a second; each change
        makes the cached body stale.
        """
        method, change_path, body, status = change
        stop = threading.Event()
        answers: list[int] = []

        def send_changes() -> None:
            connection = http.client.HTTPConnection(HOST, self.server.port)
            sent = {"Content-Type": "application/json"} if body is not None else {}
            due = time.perf_counter()
            try:
                while not stop.is_set():
                    connection.request(method, change_path, body, sent)
                    response = connection.getresponse()
                    response.read()
                    answers.append(response.status)
                    due += 1 / per_second
                    stop.wait(max(0.0, due - time.perf_counter()))
            finally:
                connection.close()

        changer = threading.Thread(target=send_changes, name="changes", daemon=True)
        started = time.perf_counter()
        changer.start()
        try:
            measured, cpu, runs = self.load("GET", path, True, headers)
        finally:
            stop.set()
            changer.join()
        rate = len(answers) / (time.perf_counter() - started)
        figure = rate_figure(
            scenario,
            f"GET {path} while {label} {per_second:g}/s",
            measured,
            cpu,
            target,
        )
        ok = sum(1 for code in answers if code == status)
        figure.notes.append(
            f"{len(answers):,} changes sent ({rate:,.1f}/s), {ok:,} answered {status}"
        )
        note_runs(figure, runs)
        return self.add(figure)

    def add(self, figure: Figure) -> Figure:
        figure.server = self.server.name
        if figure.measured is not None:
            figure.yardstick, self._yardstick = self._yardstick, None
        load = os.getloadavg()[0]
        cpus = os.cpu_count() or 1
        # The benchmark itself keeps about 2-3 processes busy (client, server, Redis).
        if figure.measured is not None and load > cpus + 1.5:
            figure.notes.append(
                f"machine busy: 1-minute load average {load:.1f} on {cpus} CPUs,"
                " this benchmark included"
            )
        workers = worker_shares(figure.cpu)
        if workers:
            figure.notes.append(
                "share of the workers' CPU (a proxy for requests served): "
                + ", ".join(f"{label} {part:.0%}" for label, part in workers.items())
            )
        if uneven(figure.cpu):
            figure.notes.append(
                "uneven worker load: the kernel gave most connections to one worker,"
                " which then caps the rate at about one core"
            )
        self.figures.append(figure)
        print_figure(figure)
        return figure


# --- the targets, as shares of the yardstick --------------------------------

#: (scenario, or its name before a size, what the issue calls it, share target).
SHARE_TARGETS: tuple[tuple[str, str, float], ...] = (
    ("heartbeat", "heartbeat", 0.18),
    ("service", "one-service lookup (100 of 10,000)", 0.18),
    ("query", "filtered list ?service_name=", 0.13),
    ("eureka-renew", "Eureka renew", 0.18),
    ("register-seq", "register, one connection, sequential", 0.04),
    ("redis-heartbeat", "Redis heartbeat, 2 workers, every worker busy", 0.10),
    ("redis-service", "Redis one-service lookup, 2 workers, every worker busy", 0.10),
)
#: Full listings: the issue asks for 1.5x the earlier rates; printed as rates.
FULL_LISTINGS = (
    ("list", "GET /api/v1/instances, 10,000"),
    ("eureka-apps-json", "Eureka full fetch JSON, 10,000"),
    ("eureka-apps-xml", "Eureka full fetch XML, 10,000"),
)


def _named(figures: Sequence[Figure], scenario: str) -> list[Figure]:
    return [
        f
        for f in figures
        if f.scenario == scenario or f.scenario.startswith(scenario + " ")
    ]


def _cell(figure: Figure | None, target: float | None) -> str:
    if figure is None or figure.measured is None:
        return "-"
    text = f"{figure.measured.rate:,.0f}/s"
    bare = figure.ceiling
    if bare is not None and bare.rate:
        part = figure.measured.rate / bare.rate
        text += f" (bare {bare.server} {bare.rate:,.0f}/s: {part:.0%})"
    if figure.share is None:
        return text + " (no yardstick)"
    met = figure.share >= target if target is not None else None
    if met and uneven(figure.cpu):
        met = False  # "every worker busy"
    mark = "" if met is None else (" ✓" if met else " ✗")
    return f"{text}, **{figure.share:.1%}**{mark}"


def print_targets(figures: Sequence[Figure]) -> None:
    """The issue's targets: each scenario under each server, side by side."""
    servers = list(dict.fromkeys(f.server for f in figures if f.server))
    if not servers:
        servers = [""]
    print("\nTargets (share = rate / mean of the yardstick runs around it):\n")
    print(f"| target | scenario | goal | {' | '.join(servers)} |")
    print(f"|---|---|---|{'---|' * len(servers)}")

    def row(label: str, scenario: str, goal: str, target: float | None) -> None:
        for name in dict.fromkeys(f.scenario for f in _named(figures, scenario)):
            cells = [
                _cell(
                    next(
                        (
                            f
                            for f in figures
                            if f.scenario == name and f.server == server
                        ),
                        None,
                    ),
                    target,
                )
                for server in servers
            ]
            print(f"| {label} | {name} | {goal} | {' | '.join(cells)} |")

    for scenario, label, target in SHARE_TARGETS:
        row(label, scenario, f">= {target:.0%}", target)
    for scenario, label in FULL_LISTINGS:
        row(label, scenario, ">= 1.5x earlier rate", None)
    for figure in _named(figures, "memory-warm"):
        met = "✓" if figure.met else "✗"
        cells = " | ".join([f"{figure.value} {met}"] + [""] * (len(servers) - 1))
        print(f"| RSS per instance | {figure.scenario} | {figure.target} | {cells} |")
