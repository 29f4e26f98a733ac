"""Cost of a read-only source on reads (issue 8's benchmark), measured in-process.

``.venv/bin/python bench/catalog_sources.py`` builds a namespace with 10,000 own
instances (1,000 services of 10), then the same namespace merged with a source of 10,000
more (1,000 other services), and times, through the registry's WSGI application
(Django's test client, no sockets) and at the store:

* one-service lookup: ``GET /api/v1/services/svc-42`` / ``list_instances("svc-42")``;
* filtered list: ``GET /api/v1/instances?tags=t7`` (1,000 own instances match, no
  source instance does) / a full ``list_instances()``.

HTTP figures are warm (the response cache answers) and cold (a heartbeat of an own
instance moves the revision before each call: of the namespace for the list, of
svc-42 for the lookup). Store figures are uncached; the full store list returns
twice as many instances with the source, so it is shown for information.

The source comes in two id shapes: ``file`` (a filesystem catalog's entries, with
native ids, which may collide with the namespace's own, so the merge must compare
them) and ``kubernetes`` (``<ip>-<port>`` ids, which cannot). The namespace without
a source and with each are measured in turn, ``--rounds`` times (default 3), and
each line prints the median over the rounds of the median per call, the ratio to
the namespace without the source and whether it is within the issue's 20 %. It
never fails.
"""

from __future__ import annotations

import argparse
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
    instance_id,
)

SERVICES, PER_SERVICE = 1000, 10
TARGET_RATIO = 1.2


class SourcePlugin(RegistryPlugin):
    def __init__(self, source: SnapshotCatalog | None) -> None:
        self.source = source

    def wrap(self, namespace: str, catalog: Catalog, runtime: Any) -> Catalog:
        return catalog if self.source is None else MergedCatalog(catalog, [self.source])


def source_of(count: int, shape: str) -> SnapshotCatalog:
    source = SnapshotCatalog(SystemClock())
    records = []
    for i in range(count):
        service = f"src-{i // PER_SERVICE}"
        endpoint = Endpoint("tcp", f"10.1.{i // 250}.{i % 250}:80")
        record_id = (
            instance_id(service, endpoint)
            if shape == "file"
            else f"10.1.{i // 250}.{i % 250}-80"
        )
        records.append(
            ServiceInstance(
                record_id,
                service,
                endpoint,
                "UP",
                0,
                None,
                (f"s{i % 10}", "filesystem"),  # the filter below selects none
                0,
                0,
            )
        )
    source.replace(records)
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

    def invalidate_service() -> None:  # and this one svc-42's too
        catalog.renew("own-420")

    return {
        "http one service": median_seconds(
            lambda: client.get("/api/v1/services/svc-42"), 500
        ),
        "http one service, cold": median_seconds(
            lambda: client.get("/api/v1/services/svc-42"), 500, invalidate_service
        ),
        "http filtered list": median_seconds(
            lambda: client.get("/api/v1/instances?tags=t7"), 100
        ),
        "http filtered, cold": median_seconds(
            lambda: client.get("/api/v1/instances?tags=t7"), 60, invalidate
        ),
        "store one service": median_seconds(
            lambda: catalog.list_instances("svc-42"), 2000
        ),
        "store full list": median_seconds(lambda: catalog.list_instances(), 50),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    count = SERVICES * PER_SERVICE
    cases: dict[str, Callable[[], RegistryRuntime]] = {
        "none": lambda: runtime_with(None),
        "file": lambda: runtime_with(source_of(count, "file")),
        "kubernetes": lambda: runtime_with(source_of(count, "kubernetes")),
    }
    runtimes = {name: make() for name, make in cases.items()}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    for _ in range(rounds):  # interleaved: a busy moment skews every case alike
        for name, runtime in runtimes.items():
            figures[name].append(measure(runtime))

    def median_of(name: str, read: str) -> float:
        return statistics.median(run[read] for run in figures[name])

    for read in figures["none"][0]:
        base = median_of("none", read)
        for shape in ("file", "kubernetes"):
            value = median_of(shape, read)
            ratio = value / base
            verdict = "met" if ratio <= TARGET_RATIO else "missed"
            print(
                f"{read:<24} {base * 1e6:9.1f} us -> {value * 1e6:9.1f} us with a"
                f" {shape:<10} source: x{ratio:.2f}"
                f" (target x{TARGET_RATIO}: {verdict})"
            )


if __name__ == "__main__":
    main()
