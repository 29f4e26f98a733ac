"""The native API (``/api/v1``) on the in-memory store.

Order: warm-up, heartbeat (on an instance of its own, deregistered afterwards),
worker RSS, register 10,000 instances, worker RSS again (memory), then the reads
against exactly those 10,000 instances. :class:`NativeBench` is also the Redis
suite's base: the same requests on another store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from core import Bench, Figure, Settings, make_client
from server import HOST, Server, rss_bytes

SERVICES = 100
INSTANCES_PER_SERVICE = 100
TOTAL_INSTANCES = SERVICES * INSTANCES_PER_SERVICE
READ_SERVICE = "svc-42"
HEARTBEAT_SERVICE = "bench-heartbeat"
SEQUENTIAL_SERVICE = "bench-sequential"
INSTANCES_PATH = "/api/v1/instances"

SCENARIOS = (
    "heartbeat",
    "register",
    "list",
    "service",
    "query",
    "memory",
    "register-seq",
)
#: Not in the issue, so only on request: the listing while heartbeats arrive.
OPTIONAL_SCENARIOS = ("list-churn",)
NEEDS_CATALOG = frozenset(
    {"register", "list", "service", "query", "memory", "list-churn"}
)

#: Issue targets (2 cores shared by client and server): requests/s, or bytes.
RATE_TARGETS = {"heartbeat": 3000.0, "list": 400.0, "service": 2500.0, "query": 2000.0}
MEMORY_TARGET_BYTES = 2048
#: Threads of the native suite's server unless ``--threads`` says otherwise.
DEFAULT_THREADS = 4


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


def catalog_requests(services: range = range(SERVICES)) -> list[tuple[str, bytes]]:
    """Distinct registrations: ``svc-<s>`` x endpoints ``10.<s/256>.<s%256>.<i>``.

    For the first 100 services that is ``10.0.<s>.<i>:8080``.
    """
    return [
        (
            INSTANCES_PATH,
            registration_body(f"svc-{s}", f"10.{s // 256}.{s % 256}.{i}:8080"),
        )
        for s in services
        for i in range(INSTANCES_PER_SERVICE)
    ]


class NativeBench(Bench):
    def warm_up(self, seconds: float) -> None:
        """Touch every code path once, and let the server start all its threads."""
        body = registration_body("bench-warmup", "10.0.255.254:8080")
        instance = json.loads(self.expect("POST", INSTANCES_PATH, 201, body))
        path = f"{INSTANCES_PATH}/{instance['id']}"
        for _ in range(20):
            self.expect("PUT", f"{path}/heartbeat", 200)
            self.expect("GET", "/api/v1/services/bench-warmup", 200)
            self.expect("GET", f"{INSTANCES_PATH}?service_name=bench-warmup", 200)
            self.expect("GET", INSTANCES_PATH, 200)
        self.expect("DELETE", path, 200)
        if seconds > 0:
            self.client.timed("GET", "/api/v1/services", None, seconds)

    def heartbeat(self, scenario: str = "heartbeat") -> Figure:
        """Heartbeat one instance of its own service, deregistered afterwards."""
        body = registration_body(HEARTBEAT_SERVICE, "10.0.255.1:8080")
        instance = json.loads(self.expect("POST", INSTANCES_PATH, 201, body))
        path = f"{INSTANCES_PATH}/{instance['id']}"
        try:
            return self.timed(
                scenario,
                "PUT /api/v1/instances/{id}/heartbeat",
                "PUT",
                f"{path}/heartbeat",
                RATE_TARGETS["heartbeat"],
            )
        finally:
            # Leave exactly the catalog instances for the reads.
            self.expect("DELETE", path, 200)

    def register(
        self,
        scenario: str,
        requests: Sequence[tuple[str, bytes]],
        reported: bool,
        connections: int | None = None,
        notes: Sequence[str] = (),
    ) -> Figure:
        figure = self.register_all(scenario, requests, 201, connections)
        figure.notes += notes
        return self.report(figure, reported)

    def register_sequential(self, count: int) -> Figure:
        """New instances one after another on one keep-alive connection (a client
        registering its instances in turn); after the reads, which they would
        change."""
        requests = [
            (INSTANCES_PATH, registration_body(SEQUENTIAL_SERVICE, f"10.1.{i}:8080"))
            for i in range(count)
        ]
        figure = self.register_all(
            "register-seq", requests, 201, connections=1, what=INSTANCES_PATH
        )
        figure.target = "none (share: see the targets)"
        return self.add(figure)

    def check_catalog(self, instances: int, services: int) -> None:
        listed = json.loads(self.expect("GET", "/api/v1/services", 200))
        found = json.loads(self.expect("GET", INSTANCES_PATH, 200))
        count = len(found["instances"])
        ok = count == instances and len(listed["services"]) == services
        print(
            f"  check: {count:,} instances in {len(listed['services'])} services"
            f" registered ({'as expected' if ok else 'UNEXPECTED'})"
        )

    def any_id(self) -> str:
        payload = self.expect("GET", f"/api/v1/services/{READ_SERVICE}", 200)
        instance_id: str = json.loads(payload)["instances"][0]["id"]
        return instance_id

    def touch(self) -> None:
        """Heartbeat one instance of the read service: its cached bodies go stale."""
        self.expect("PUT", f"{INSTANCES_PATH}/{self.any_id()}/heartbeat", 200)

    def list_churn(self, beats_per_second: float) -> None:
        """The full listing while heartbeats keep invalidating its cached body."""
        heartbeat = f"{INSTANCES_PATH}/{self.any_id()}/heartbeat"
        self.read_under_churn(
            "list-churn",
            INSTANCES_PATH,
            RATE_TARGETS["list"],
            ("PUT", heartbeat, None, 200),
            beats_per_second,
            "one instance heartbeats",
        )


def memory_figure(grown: int, worker: int) -> Figure:
    per_instance = grown / TOTAL_INSTANCES
    figure = Figure(
        "memory",
        f"server worker RSS growth for {TOTAL_INSTANCES:,} registrations",
        value=f"{per_instance:,.0f} B/instance"
        f" ({grown / 2**20:.1f} MiB per {TOTAL_INSTANCES:,})",
        target=f"< {MEMORY_TARGET_BYTES:,} B/instance",
        met=per_instance < MEMORY_TARGET_BYTES,
    )
    figure.notes.append(f"worker RSS now {rss_bytes(worker) / 2**20:.1f} MiB")
    return figure


def run(settings: Settings, selected: Sequence[str]) -> list[Figure]:
    threads = settings.threads if settings.threads is not None else DEFAULT_THREADS
    server = Server(
        threads=threads, log_level=settings.log_level, server=settings.server
    )
    with server.running(settings.work_dir):
        bench = NativeBench(server, make_client(settings, server.port), settings)
        print(
            f"\n== native suite: server pid {server.pid} on {HOST}:{server.port},"
            f" in-memory store, {server.name}, 1 worker (pid {bench.workers[0]}),"
            f" --threads {threads}, --log_level {settings.log_level}"
        )
        bench.warm_up(min(1.0, settings.seconds / 2))
        if "heartbeat" in selected:
            bench.heartbeat()
        if NEEDS_CATALOG & set(selected):
            _, grown = bench.rss_growth(
                lambda: bench.register(
                    "register", catalog_requests(), "register" in selected
                )
            )
            bench.check_catalog(TOTAL_INSTANCES, SERVICES)
            if "memory" in selected:
                bench.add(memory_figure(grown, bench.workers[0]))
        reads = {
            "list": INSTANCES_PATH,
            "service": f"/api/v1/services/{READ_SERVICE}",
            "query": f"{INSTANCES_PATH}?service_name={READ_SERVICE}",
        }
        for scenario, path in reads.items():
            if scenario in selected:
                bench.read(scenario, path, RATE_TARGETS[scenario], bench.touch)
        if "register-seq" in selected:
            bench.register_sequential(sequential_count(settings.seconds))
        if "list-churn" in selected:
            bench.list_churn(settings.churn_rate)
    return bench.figures


def sequential_count(seconds: float) -> int:
    """Registrations for ``register-seq``: about ``seconds`` at ~1,000/s."""
    return max(500, round(seconds * 1000 / 100) * 100)
