"""Benchmark the registry over loopback: ``.venv/bin/python bench/run.py [--quick]``.

Each suite starts its own registry (``manage.py runregistry``) on a free 127.0.0.1
port, and the Redis suite its own ``redis-server``; load comes from ``wrk`` when it
is on PATH, else ``bench/loadgen.py``. It prints requests/s, p50/p99 latency and
status counts per scenario, stops every process it started by its pid, and
reports figures next to the issue's targets. It never fails on a target.

Suites (``--suite``): ``native`` (the default: ``/api/v1`` on the in-memory store,
``native_suite.py``), ``eureka`` (``/eureka/v2``, ``eureka_suite.py``), ``redis``
(``/api/v1`` on Redis at 10k and 100k instances, ``redis_suite.py``), ``all``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import cluster_suite
import eureka_suite
import memory
import native_suite
import redis_suite
import wrk
from core import Figure, Settings, make_client, print_table, print_targets
from server import runregistry_servers
from yardstick import Yardstick, granian_missing

SuiteRun = Callable[[Settings, Sequence[str]], list[Figure]]
#: Suite name -> (its scenarios, how to run a selection of them), in run order.
SUITES: dict[str, tuple[tuple[str, ...], SuiteRun]] = {
    "native": (native_suite.SCENARIOS, native_suite.run),
    "eureka": (eureka_suite.SCENARIOS, eureka_suite.run),
    "redis": (redis_suite.SCENARIOS, redis_suite.run),
    "cluster": (cluster_suite.SCENARIOS, cluster_suite.run),
    "memory": (memory.SCENARIOS, memory.run),
}
#: Suites that start no registry: run once, whatever ``--servers`` says.
SERVERLESS_SUITES = frozenset({"memory"})
OPTIONAL_SCENARIOS = {
    **dict.fromkeys(native_suite.OPTIONAL_SCENARIOS, "native"),
    **dict.fromkeys(eureka_suite.OPTIONAL_SCENARIOS, "eureka"),
}
ALL_SCENARIOS = (
    *(name for scenarios, _ in SUITES.values() for name in scenarios),
    *OPTIONAL_SCENARIOS,
)


def suite_of(scenario: str) -> str:
    if scenario in OPTIONAL_SCENARIOS:
        return OPTIONAL_SCENARIOS[scenario]
    return next(name for name, (names, _) in SUITES.items() if scenario in names)


#: Left out of a suite under ``--quick`` (unless named with ``--scenario``).
SLOW_SCENARIOS = {"eureka-delta": "it waits 3 minutes for the steady state"}


def selection(
    suites: Sequence[str] | None, scenarios: Sequence[str] | None, quick: bool
) -> list[str]:
    """Scenarios of the ``--suite``s plus the ``--scenario``s (native by default)."""
    if not suites and not scenarios:
        suites = ["native"]
    names: set[str] = set()
    for suite in suites or ():
        for name, (listed, _) in SUITES.items():
            if suite in (name, "all"):
                names.update(listed)
    if quick:
        for name, reason in SLOW_SCENARIOS.items():
            if name in names and name not in (scenarios or ()):
                print(f"--quick: {name} left out ({reason}); name it to run it")
                names.discard(name)
    names.update(scenarios or ())
    return [name for name in ALL_SCENARIOS if name in names]


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",") if part}))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    if not sizes or any(n <= 0 or n % 100 for n in sizes):
        raise argparse.ArgumentTypeError("positive multiples of 100, comma-separated")
    return sizes


def _servers(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part))
    if not names or not set(names) <= {"granian", "gunicorn"}:
        raise argparse.ArgumentTypeError("granian and/or gunicorn, comma-separated")
    return names


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="~1.5 s per timed scenario instead of 5; the redis suite at 10k only"
        " (unless --redis-sizes), no eureka-delta (unless --scenario eureka-delta)",
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=(*SUITES, "all"),
        help="run every scenario of a suite (repeatable; default native)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=ALL_SCENARIOS,
        metavar="NAME",
        help=f"run these too (repeatable): {', '.join(ALL_SCENARIOS)}."
        " Opt-in only: list-churn (GET /api/v1/instances while one instance"
        " heartbeats --churn-rate times a second), eureka-apps-churn (GET"
        " /eureka/v2/apps while one instance re-registers --churn-rate times a"
        " second)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="gunicorn threads per worker (default: 4 for native, the server's"
        " default, 2, for eureka and redis)",
    )
    parser.add_argument(
        "--churn-rate",
        type=float,
        default=100.0,
        help="changes/s during list-churn and eureka-apps-churn (default 100)",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--redis-sizes",
        type=_sizes,
        help="catalog sizes of the redis suite (default 10000,100000)",
    )
    parser.add_argument(
        "--register-connections",
        type=int,
        default=64,
        help="connections for the redis suite's registrations (default 64)",
    )
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
        "--servers",
        type=_servers,
        help="HTTP servers to run each scenario under, side by side (default:"
        " granian,gunicorn when runregistry has --server, else gunicorn)",
    )
    parser.add_argument(
        "--yardstick-seconds",
        type=float,
        help="duration of each yardstick run (default: 1 with --quick, else 3)",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        help="server --log_level; 'info' turns the per-request access log on",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    selected = selection(args.suite, args.scenario, args.quick)
    seconds = args.seconds or (1.5 if args.quick else 5.0)
    use_wrk = args.client == "wrk" or (
        args.client == "auto" and wrk.available() is not None
    )
    if args.client == "wrk" and not wrk.available():
        raise SystemExit("wrk is not on PATH")
    sizes = args.redis_sizes or ((10_000,) if args.quick else (10_000, 100_000))

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="a8bench-") as tmp:
        settings = Settings(
            seconds=seconds,
            repeat=max(1, args.repeat),
            connections=args.connections,
            use_wrk=use_wrk,
            work_dir=Path(tmp),
            log_level=args.log_level,
            threads=args.threads,
            churn_rate=args.churn_rate,
            redis_sizes=sizes,
            register_connections=args.register_connections,
        )
        servers, has_flag = chosen_servers(args.servers)
        print(
            f"a8 registry benchmark {datetime.date.today().isoformat()}:"
            f" client {'wrk' if use_wrk else 'loadgen (Python asyncio)'},"
            f" {args.connections} connections, {seconds:g} s per timed scenario;"
            f" {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        print(f"scenarios: {', '.join(selected)}; servers: {', '.join(servers)}")
        yardstick = start_yardstick(
            settings, args.yardstick_seconds or (1.0 if args.quick else 3.0)
        )
        try:
            settings = dataclasses.replace(settings, yardstick=yardstick)
            for name, (_, run_suite) in SUITES.items():
                chosen = [s for s in selected if suite_of(s) == name]
                if not chosen:
                    continue
                if name in SERVERLESS_SUITES:
                    figures += run_suite(settings, chosen)
                    continue
                for server in servers:
                    # Without --server, runregistry runs gunicorn: no flag to pass.
                    flag = server if has_flag else None
                    figures += run_suite(
                        dataclasses.replace(settings, server=flag), chosen
                    )
        finally:
            if yardstick is not None:
                yardstick.stop()
                runs = ", ".join(f"{rate:,.0f}" for rate in yardstick.history)
                print(f"\nyardstick runs (req/s, in order): {runs}")
    print_table(figures)
    print_targets(figures)


def chosen_servers(wanted: tuple[str, ...] | None) -> tuple[tuple[str, ...], bool]:
    """The servers to run (``--servers``, else all that runregistry can run), and
    whether runregistry has ``--server``."""
    supported = runregistry_servers()
    has_flag = "granian" in supported
    if wanted is None:
        return supported, has_flag
    missing = [name for name in wanted if name not in supported]
    if missing:
        raise SystemExit(
            f"runregistry cannot run {', '.join(missing)} yet (no --server flag)"
        )
    return wanted, has_flag


def start_yardstick(settings: Settings, seconds: float) -> Yardstick | None:
    """The granian yardstick, started; None (with a note) without granian."""
    why = granian_missing()
    if why is not None:
        print(f"note: {why}")
        return None

    def load(port: int, duration: float) -> float:
        client = make_client(settings, port)
        return client.timed("GET", "/", None, duration).rate

    yardstick = Yardstick(seconds, load)
    yardstick.start()
    print(
        f"yardstick: granian (wsgi, 1 worker, 1 blocking thread) serving `ok` on"
        f" {yardstick.port}, pid {yardstick.process.pid if yardstick.process else 0},"
        f" {seconds:g} s per run"
    )
    return yardstick


if __name__ == "__main__":
    main()
