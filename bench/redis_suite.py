"""The native API on the Redis store, at growing catalog sizes (10k, then 100k).

The suite starts its own ``redis-server`` (free loopback port, no persistence) and
a registry with ``--store redis --store_address <it> --workers 2``. For each size
it registers the instances still missing (100-instance services ``svc-<s>``, the
native suite's realistic body) on many connections, then measures the heartbeat,
the lookup of one 100-instance service and Redis's ``used_memory`` per instance
(growth since before the first registration). Both processes are stopped by the
pids started.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from core import Figure, Settings, make_client
from native_suite import (
    INSTANCES_PER_SERVICE,
    READ_SERVICE,
    NativeBench,
    catalog_requests,
)
from server import HOST, RedisServer, Server

SCENARIOS = ("redis-register", "redis-heartbeat", "redis-service", "redis-memory")
RATE_TARGETS = {"redis-heartbeat": 3000.0, "redis-service": 2000.0}
MEMORY_TARGET_BYTES = 1024
WORKERS = 2
#: The namespace's journal of recent changes (``registry/store/lua/common.lua``).
JOURNAL_SUFFIX = ":jr"


def size_label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


class RedisBench(NativeBench):
    def __init__(
        self, server: Server, redis_server: RedisServer, settings: Settings
    ) -> None:
        # Each worker on its own: the kernel hands the connections to whichever
        # worker accepts first, and an uneven split caps the rate at one core.
        processes = {
            f"worker {n}": [pid] for n, pid in enumerate(server.worker_pids(), 1)
        }
        processes["redis"] = [redis_server.pid]
        super().__init__(
            server, make_client(settings, server.port), settings, processes
        )
        self.redis = redis_server

    def check_size(self, instances: int) -> None:
        """Count in Redis (listing 100k instances over HTTP would take long)."""
        stored = self.redis.client
        counts = [stored.hlen(key) for key in stored.scan_iter(match="reg:*:inst")]
        listed = json.loads(self.expect("GET", "/api/v1/services", 200))["services"]
        services = instances // INSTANCES_PER_SERVICE
        ok = counts == [instances] and len(listed) == services
        print(
            f"  check: {sum(counts):,} instances in Redis, {len(listed):,} services"
            f" listed ({'as expected' if ok else 'UNEXPECTED'})"
        )

    def memory(self, size: int, grown: int) -> Figure:
        keys = self.redis.key_memory("reg:*")
        journal = sum(n for key, n in keys.items() if key.endswith(JOURNAL_SUFFIX))
        per_instance = grown / size
        figure = Figure(
            f"redis-memory {size_label(size)}",
            f"Redis used_memory growth for {size:,} registrations",
            value=f"{per_instance:,.0f} B/instance"
            f" ({grown / 2**20:.1f} MiB per {size:,})",
            target=f"< {MEMORY_TARGET_BYTES:,} B/instance",
            met=per_instance < MEMORY_TARGET_BYTES,
        )
        by_key = ", ".join(
            f"{key.rsplit(':', 1)[1]} {n / size:,.0f}"
            for key, n in sorted(keys.items(), key=lambda item: -item[1])
            if n / size >= 1
        )
        figure.notes.append(f"MEMORY USAGE per key, B/instance: {by_key}")
        figure.notes.append(
            f"without the journal of the last 3 minutes' changes (jr):"
            f" {(grown - journal) / size:,.0f} B/instance"
        )
        return self.add(figure)


def run(settings: Settings, selected: Sequence[str]) -> list[Figure]:
    redis_server = RedisServer()
    with redis_server.running(settings.work_dir):
        server = Server(
            threads=settings.threads,
            log_level=settings.log_level,
            options=(
                "--store",
                "redis",
                "--store_address",
                redis_server.address,
                "--workers",
                str(WORKERS),
            ),
            workers=WORKERS,
            server=settings.server,
        )
        with server.running(settings.work_dir):
            bench = RedisBench(server, redis_server, settings)
            print(
                f"\n== redis suite: redis-server pid {redis_server.pid} on"
                f" {redis_server.address}; registry pid {server.pid} on"
                f" {HOST}:{server.port}, {server.name}, --store redis,"
                f" --workers {WORKERS}"
                f" (pids {', '.join(map(str, bench.workers))}), threads"
                f" {settings.threads or 'default (2)'},"
                f" --log_level {settings.log_level}"
            )
            bench.warm_up(min(1.0, settings.seconds / 2))
            baseline = redis_server.used_memory()
            services = 0
            for size in settings.redis_sizes:
                label = size_label(size)
                wanted = size // INSTANCES_PER_SERVICE
                requests = catalog_requests(range(services, wanted))
                bench.register(
                    f"redis-register {label}",
                    requests,
                    "redis-register" in selected,
                    settings.register_connections,
                    [f"catalog from {services * INSTANCES_PER_SERVICE:,} to {size:,}"],
                )
                services = wanted
                time.sleep(0.5)  # requests still in flight when the client stopped
                grown = redis_server.used_memory() - baseline
                bench.check_size(size)
                if "redis-memory" in selected:
                    bench.memory(size, grown)
                if "redis-heartbeat" in selected:
                    bench.heartbeat(f"redis-heartbeat {label}")
                if "redis-service" in selected:
                    bench.read(
                        f"redis-service {label}",
                        f"/api/v1/services/{READ_SERVICE}",
                        RATE_TARGETS["redis-service"],
                        bench.touch,
                    )
    return bench.figures
