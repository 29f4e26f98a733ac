"""Cost of a read-only source on reads (issue 8's benchmark), measured in-process.

``.venv/bin/python bench/catalog_sources.py`` builds a namespace with 10,000 own
instances (1,000 services of 10), then the same namespace merged with a source of 10,000
more (1,000 other services), and times, through the registry's WSGI application
(Django's test client, no sockets) and at the store:

* one-service lookup: ``GET /api/v1/services/svc-42`` / ``list_instances("svc-42")``;
* filtered list: ``GET /api/v1/instances?tags=t7`` (1,000 own instances match, no
  source instance does) / a full ``list_instances()``.

HTTP figures are warm (the response cache answers) and, for the filtered list, cold
too (a heartbeat moves the revision before each call). Store figures are uncached;
the full store list returns twice as many instances with the source, so it is
shown for information. Each line prints the median per call, the ratio to the
namespace without the source and whether it is within the issue's 20 %. It never
fails.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_project.settings")

import django

django.setup()

from django.test import Client  # noqa: E402

from catalogs.snapshot import SnapshotCatalog  # noqa: E402
from registry.config import RegistryConfig  # noqa: E402
from registry.plugins import RegistryPlugin  # noqa: E402
from registry.runtime import RegistryRuntime, install_runtime  # noqa: E402
from registry.store.base import Catalog  # noqa: E402
from registry.store.clock import SystemClock  # noqa: E402
from registry.store.merged import MergedCatalog  # noqa: E402
from registry.store.records import (  # noqa: E402
    Endpoint,
    InstanceRegistration,
    ServiceInstance,
)

SERVICES, PER_SERVICE = 1000, 10
TARGET_RATIO = 1.2


class SourcePlugin(RegistryPlugin):
    def __init__(self, source: SnapshotCatalog | None) -> None:
        self.source = source

    def wrap(self, namespace: str, catalog: Catalog, runtime: Any) -> Catalog:
        return catalog if self.source is None else MergedCatalog(catalog, [self.source])


def source_of(count: int) -> SnapshotCatalog:
    source = SnapshotCatalog(SystemClock())
    source.replace(
        ServiceInstance(
            f"src-{i}",
            f"src-{i // PER_SERVICE}",
            Endpoint("tcp", f"10.1.{i // 250}.{i % 250}:80"),
            "UP",
            0,
            None,
            (f"s{i % 10}", "filesystem"),  # the filter below selects none
            0,
            0,
        )
        for i in range(count)
    )
    return source


def runtime_with(source: SnapshotCatalog | None) -> RegistryRuntime:
    runtime = RegistryRuntime(RegistryConfig(), plugins=[SourcePlugin(source)])
    catalog = runtime.catalogs.get("default")
    for i in range(SERVICES * PER_SERVICE):
        catalog.register(
            InstanceRegistration(
                f"own-{i}",
                f"svc-{i // PER_SERVICE}",
                Endpoint("http", f"10.0.{i // 250}.{i % 250}:80"),
                "UP",
                600,
                tags=(f"t{i % 10}",),
            )
        )
    return runtime


def median_seconds(
    call: Callable[[], object], rounds: int, before: Callable[[], object] = list
) -> float:
    call()  # warm
    times = []
    for _ in range(rounds):
        before()
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(runtime: RegistryRuntime) -> dict[str, float]:
    install_runtime(runtime)
    client = Client()
    catalog = runtime.catalogs.get("default")

    def invalidate() -> None:  # a heartbeat moves the namespace's revision
        catalog.renew("own-9999")

    return {
        "http one service": median_seconds(
            lambda: client.get("/api/v1/services/svc-42"), 500
        ),
        "http filtered list": median_seconds(
            lambda: client.get("/api/v1/instances?tags=t7"), 50
        ),
        "http filtered, cold": median_seconds(
            lambda: client.get("/api/v1/instances?tags=t7"), 30, invalidate
        ),
        "store one service": median_seconds(
            lambda: catalog.list_instances("svc-42"), 2000
        ),
        "store full list": median_seconds(lambda: catalog.list_instances(), 50),
    }


def main() -> None:
    without = measure(runtime_with(None))
    merged = measure(runtime_with(source_of(SERVICES * PER_SERVICE)))
    for name, base in without.items():
        ratio = merged[name] / base
        verdict = "met" if ratio <= TARGET_RATIO else "missed"
        print(
            f"{name:<20} {base * 1e6:9.1f} us -> {merged[name] * 1e6:9.1f} us "
            f"with the source: x{ratio:.2f} (target x{TARGET_RATIO}: {verdict})"
        )


if __name__ == "__main__":
    main()
