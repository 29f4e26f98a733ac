"""A replicated cluster of three in-memory nodes on this machine (issue 11).

Scenarios:

* ``cluster-heartbeat``: heartbeats on one node alone, then on node A of a 3-node
  cluster (every heartbeat is replicated to two peers); target: the cluster node
  keeps at least 70% of the lone node's rate;
* ``cluster-lag``: writes on node A at about 1,000/s (heartbeats on 4 keep-alive
  connections) while a probe registers a new instance on A every 20 ms and polls
  node C (``GET /api/v1/instances/{id}``) until it is there; lag = seen on C minus
  A's answer; targets p50 <= 10 ms, p99 <= 50 ms;
* ``cluster-join``: 100,000 instances (10,000 with ``--quick``) registered on A,
  then a fourth node starts: the time from its start to its first answer (it
  answers only once it holds a peer's full state), and a check that its listing
  is complete; target <= 5 s.

Every node is started and stopped by its own pid (``server.Server``), with one
shared cluster directory in the run's temporary directory.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import statistics
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from core import Figure, Settings, make_client, print_figure
from native_suite import INSTANCES_PER_SERVICE, NativeBench, catalog_requests
from server import HOST, Server, free_port

SCENARIOS = ("cluster-heartbeat", "cluster-lag", "cluster-join")
HEARTBEAT_SHARE_TARGET = 0.70
LAG_TARGETS_MS = (10.0, 50.0)
JOIN_TARGET_SECONDS = 5.0
WRITE_RATE = 1000.0
WRITERS = 4


def node(settings: Settings, cluster_dir: Path | None) -> Server:
    """A registry; a cluster member when ``cluster_dir`` is given."""
    options: list[str] = []
    if cluster_dir is not None:
        options = [
            "--replication",
            "--replication_host",
            HOST,
            "--replication_port",
            str(free_port()),
            "--cluster_dir",
            str(cluster_dir),
            "--sync_timeout",
            "120s",
        ]
    return Server(
        threads=settings.threads,
        log_level=settings.log_level,
        options=options,
        server=settings.server,
    )


def run(settings: Settings, selected: Sequence[str]) -> list[Figure]:
    figures: list[Figure] = []
    alone_rate = None
    if "cluster-heartbeat" in selected:
        with node(settings, None).running(settings.work_dir) as alone:
            bench = NativeBench(alone, make_client(settings, alone.port), settings)
            bench.warm_up(0.5)
            figure = bench.heartbeat("cluster-heartbeat-alone")
            alone_rate = figure.measured.rate if figure.measured else None
            figures += bench.figures
    cluster_dir = settings.work_dir / "cluster"
    with contextlib.ExitStack() as stack:
        nodes = [
            stack.enter_context(node(settings, cluster_dir).running(settings.work_dir))
            for _ in range(3)
        ]
        first, _, last = nodes
        bench = NativeBench(first, make_client(settings, first.port), settings)
        print(
            f"\n== cluster suite: 3 nodes, pids {[n.pid for n in nodes]},"
            f" API ports {[n.port for n in nodes]}, {first.name}"
        )
        bench.warm_up(0.5)
        if "cluster-heartbeat" in selected:
            heartbeat_figure(bench, alone_rate)
        if "cluster-lag" in selected:
            bench.add(lag_figure(first, last, settings.seconds))
        if "cluster-join" in selected:
            join(bench, settings, cluster_dir)
        figures += bench.figures
    return figures


def heartbeat_figure(bench: NativeBench, alone_rate: float | None) -> None:
    figure = bench.heartbeat("cluster-heartbeat")
    if figure.measured is None or not alone_rate:
        return
    ratio = figure.measured.rate / alone_rate
    figure.target = f">= {HEARTBEAT_SHARE_TARGET:.0%} of the node alone"
    figure.met = ratio >= HEARTBEAT_SHARE_TARGET
    figure.notes.append(
        f"{ratio:.0%} of the node alone ({alone_rate:,.0f}/s), replicated to 2 peers"
    )


# --- replication lag ---------------------------------------------------------------


def lag_figure(writer: Server, reader: Server, seconds: float) -> Figure:
    ids = [register(writer, f"lag-load-{n}", f"10.9.0.{n}:80") for n in range(WRITERS)]
    stop = threading.Event()
    sent = [0] * WRITERS
    threads = [
        threading.Thread(target=heartbeats, args=(writer, ids[n], stop, sent, n))
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    lags: list[float] = []
    started = time.monotonic()
    try:
        lags = probe(writer, reader, seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started
    p50 = statistics.median(lags) if lags else float("nan")
    p99 = quantile(lags, 0.99)
    target_p50, target_p99 = LAG_TARGETS_MS
    return Figure(
        "cluster-lag",
        f"write on A until visible on C, A taking {sum(sent) / elapsed:,.0f} writes/s",
        value=f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(lags)} probes",
        target=f"p50 <= {target_p50:g} ms, p99 <= {target_p99:g} ms",
        met=p50 <= target_p50 and p99 <= target_p99,
    )


def heartbeats(
    server: Server, instance_id: str, stop: threading.Event, sent: list[int], n: int
) -> None:
    """Heartbeats on one keep-alive connection, paced to WRITE_RATE / WRITERS."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
    interval = WRITERS / WRITE_RATE
    next_at = time.monotonic()
    try:
        while not stop.is_set():
            connection.request("PUT", f"/api/v1/instances/{instance_id}/heartbeat")
            connection.getresponse().read()
            sent[n] += 1
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    finally:
        connection.close()


def probe(writer: Server, reader: Server, seconds: float) -> list[float]:
    """Lags (ms) of probe registrations on ``writer`` as seen on ``reader``."""
    write = http.client.HTTPConnection(HOST, writer.port, timeout=10)
    read = http.client.HTTPConnection(HOST, reader.port, timeout=10)
    lags: list[float] = []
    deadline = time.monotonic() + seconds
    number = 0
    try:
        while time.monotonic() < deadline:
            number += 1
            body = registration(f"lag-probe-{number}", f"10.8.{number // 250}.1:80")
            write.request("POST", "/api/v1/instances", body=body, headers=JSON_BODY)
            instance_id = json.loads(write.getresponse().read())["id"]
            acknowledged = time.monotonic()
            while True:
                read.request("GET", f"/api/v1/instances/{instance_id}")
                response = read.getresponse()
                response.read()
                if response.status == 200:
                    break
                if time.monotonic() - acknowledged > 5:
                    raise RuntimeError(f"{instance_id} never reached the reader")
            lags.append((time.monotonic() - acknowledged) * 1000)
            time.sleep(0.02)
    finally:
        write.close()
        read.close()
    return lags


JSON_BODY = {"Content-Type": "application/json"}


def registration(service: str, endpoint: str) -> bytes:
    body = {"service_name": service, "endpoint": {"type": "http", "value": endpoint}}
    return json.dumps({**body, "ttl": 600}).encode()


def register(server: Server, service: str, endpoint: str) -> str:
    status, payload = server.request(
        "POST", "/api/v1/instances", registration(service, endpoint)
    )
    if status != 201:
        raise RuntimeError(f"registration failed: {status} {payload!r}")
    return str(json.loads(payload)["id"])


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- join ----------------------------------------------------------------------------


def join(bench: NativeBench, settings: Settings, cluster_dir: Path) -> None:
    quick = settings.seconds < 5
    size = 10_000 if quick else 100_000
    services = range(size // INSTANCES_PER_SERVICE)
    print_figure(bench.register_all("cluster-load", catalog_requests(services), 201))
    late = node(settings, cluster_dir)
    started = time.monotonic()
    late.start(settings.work_dir)
    try:
        serving = time.monotonic() - started
        status, payload = late.request("GET", "/api/v1/instances", timeout=60)
        listed = len(json.loads(payload)["instances"]) if status == 200 else -1
        synced = [
            line.split("replication.node")[-1].strip()
            for line in late.log_tail(200).splitlines()
            if "synchronised in" in line or "received from" in line
        ]
    finally:
        late.stop()
    complete = listed >= size  # the warm-up and lag probes are there too
    bench.add(
        Figure(
            "cluster-join",
            f"a 4th node joins a cluster of {size:,} instances: start to first answer",
            value=f"{serving:.2f} s; it listed {listed:,} instances"
            f" ({'complete' if complete else 'INCOMPLETE'})",
            target=f"<= {JOIN_TARGET_SECONDS:g} s, complete",
            met=serving <= JOIN_TARGET_SECONDS and complete,
            notes=[
                "includes starting the process (Django, granian) and the sync",
                *synced,
            ],
        )
    )
