"""The metrics a registry process updates as it works, one set per runtime.

Each set has a registry of its own (never prometheus-client's global one), so
several runtimes in one process (tests) do not clash. Under several worker
processes the values live in prometheus-client's per-process files instead
(:mod:`metrics.multiprocess`) and a scrape merges every process's.

Labels are low-cardinality by construction: a route *template*, a method from a
fixed set, a status class, a store operation, a namespace; never an instance id
or a raw path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics import disable_created_metrics

from metrics.multiprocess import activate_in_worker
from metrics.tally import Tallies

if TYPE_CHECKING:
    from registry.runtime import RegistryRuntime

#: The runtime component holding a runtime's :class:`Instruments`.
INSTRUMENTS_COMPONENT: Final = "metrics.instruments"

#: Request and store latencies: a heartbeat takes well under a millisecond.
LATENCY_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
#: How long after its deadline an instance was removed: the sweep runs every 200 ms,
#: so anything past 0.25 s says the sweep fell behind (or a process was stopped).
EXPIRY_LATENESS_BUCKETS: Final = (
    0.05,
    0.1,
    0.2,
    0.25,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    30.0,
    60.0,
)


class Instruments:
    """Every metric this process updates (see ``docs/metrics.md``)."""

    def __init__(self) -> None:
        activate_in_worker()
        # No ``*_created`` series: they double the exposition for no query we need
        # (a process-wide switch of prometheus-client; the registry never uses them).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        #: The hot paths' deferred observations (:mod:`metrics.tally`).
        self.tallies = Tallies()
        reg = self.registry
        self.http_duration = Histogram(
            "registry_http_request_duration_seconds",
            "Time to answer a request, by route template, method and status class.",
            ("route", "method", "status"),
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.registrations = Counter(
            "registry_registrations",
            "Instances registered (new or again), by namespace.",
            ("namespace",),
            registry=reg,
        )
        self.deregistrations = Counter(
            "registry_deregistrations",
            "Instances deregistered, by namespace.",
            ("namespace",),
            registry=reg,
        )
        self.renewals = Counter(
            "registry_renewals",
            "Heartbeats accepted, by namespace.",
            ("namespace",),
            registry=reg,
        )
        self.expiries = Counter(
            "registry_expiries",
            "Instances removed because their TTL ran out, by namespace.",
            ("namespace",),
            registry=reg,
        )
        self.expiry_lateness = Histogram(
            "registry_expiry_lateness_seconds",
            "How long after its deadline each expired instance was removed.",
            buckets=EXPIRY_LATENESS_BUCKETS,
            registry=reg,
        )
        self.store_duration = Histogram(
            "registry_store_operation_duration_seconds",
            "Time of each call to the store (the backend), by operation.",
            ("operation",),
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.store_errors = Counter(
            "registry_store_errors",
            "Store calls that failed because the backend was unavailable.",
            ("operation",),
            registry=reg,
        )


def instruments_of(runtime: RegistryRuntime) -> Instruments:
    """The runtime's instruments, made on first use."""
    return runtime.component(INSTRUMENTS_COMPONENT, Instruments)
