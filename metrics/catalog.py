"""Writes, expiry and store calls of one namespace, counted around its catalog.

:class:`MeasuredCatalog` wraps the backend's catalog (the metrics app is installed
before the replication and catalog apps, so its wrapper is the innermost): it
times every call to the store, counts the calls the backend could not serve, and
counts registrations, deregistrations, renewals and expiries of its namespace.
Instances registered on another node and replicated here (``restore``) count as
registrations here too.

Expiry lateness comes from the change journal: an instance removed after its
deadline was removed by expiry (no verb can remove an instance past its deadline:
it is not found), so after a sweep that removed some, the journal's removals of
that sweep say how late each one went.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from metrics.instruments import Instruments
from registry.store.base import Catalog, ForwardingCatalog, RenewGuard, UpdateFunction
from registry.store.clock import Clock
from registry.store.errors import StoreUnavailableError
from registry.store.records import (
    Change,
    ChangeKind,
    InstanceRegistration,
    ServiceInstance,
)

T = TypeVar("T")

#: The store operations, as the ``operation`` label names them.
OPERATIONS = (
    "register",
    "restore",
    "deregister",
    "renew",
    "update",
    "expire",
    "get_instance",
    "list_instances",
    "list_services",
    "recent_changes",
    "count_by_status",
)


class _Timed:
    """One operation's latency histogram and error counter, bound once."""

    __slots__ = ("errors", "observe")

    def __init__(self, instruments: Instruments, operation: str) -> None:
        self.observe = instruments.store_duration.labels(operation).observe
        self.errors = instruments.store_errors.labels(operation)

    def call(self, function: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return function()
        except StoreUnavailableError:
            self.errors.inc()
            raise
        finally:
            self.observe(time.perf_counter() - started)


class MeasuredCatalog(ForwardingCatalog):
    """A catalog whose calls are timed and whose writes are counted."""

    def __init__(
        self, inner: Catalog, namespace: str, instruments: Instruments, clock: Clock
    ) -> None:
        super().__init__(inner)
        self._clock = clock
        self._timed = {name: _Timed(instruments, name) for name in OPERATIONS}
        # The hottest write: observed and counted through deferred tallies.
        tallies = instruments.tallies
        self._renew_errors = self._timed["renew"].errors
        self._renew_observe = tallies.histogram(
            instruments.store_duration.labels("renew")
        )
        self._renewed = tallies.counter(instruments.renewals.labels(namespace))
        self._registered = instruments.registrations.labels(namespace)
        self._deregistered = instruments.deregistrations.labels(namespace)
        self._expired = instruments.expiries.labels(namespace)
        self._lateness = instruments.expiry_lateness

    # -- writes: timed and counted ----------------------------------------------

    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        stored = self._timed["register"].call(lambda: self.inner.register(registration))
        self._registered.inc()
        return stored

    def restore(
        self, registration: InstanceRegistration, registration_ns: int
    ) -> ServiceInstance:
        # A registration a peer replicated here (or sent in its full state).
        stored = self._timed["restore"].call(
            lambda: self.inner.restore(registration, registration_ns)
        )
        self._registered.inc()
        return stored

    def deregister(self, instance_id: str) -> ServiceInstance:
        gone = self._timed["deregister"].call(
            lambda: self.inner.deregister(instance_id)
        )
        self._deregistered.inc()
        return gone

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        # The hottest write: timed here rather than through a closure.
        started = time.perf_counter()
        try:
            self.inner.renew(instance_id, guard)
        except StoreUnavailableError:
            self._renew_errors.inc()
            raise
        finally:
            self._renew_observe(time.perf_counter() - started)
        self._renewed()

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        return self._timed["update"].call(
            lambda: self.inner.update(instance_id, change)
        )

    def expire(self) -> int:
        sweep_started = self._clock.now_ns()
        expired = self._timed["expire"].call(self.inner.expire)
        if expired:
            self._expired.inc(expired)
            self._observe_lateness(sweep_started, expired)
        return expired

    def _observe_lateness(self, sweep_started: int, expired: int) -> None:
        try:
            changes = self.recent_changes()
        except StoreUnavailableError:
            return  # counted as a store error; the lateness of this sweep is lost
        for change in _expiries_since(changes, sweep_started)[-expired:]:
            deadline = change.instance.expires_ns or change.at_ns
            self._lateness.observe((change.at_ns - deadline) / 1e9)

    # -- reads: timed (the revisions are not: response caches read them often) --

    def get_instance(self, instance_id: str) -> ServiceInstance:
        return self._timed["get_instance"].call(
            lambda: self.inner.get_instance(instance_id)
        )

    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        return self._timed["list_instances"].call(
            lambda: self.inner.list_instances(service_name)
        )

    def list_services(self) -> list[str]:
        return self._timed["list_services"].call(self.inner.list_services)

    def recent_changes(self) -> list[Change]:
        return self._timed["recent_changes"].call(self.inner.recent_changes)

    def count_by_status(self) -> dict[str, int]:
        return self._timed["count_by_status"].call(self.inner.count_by_status)


def _expiries_since(changes: list[Change], since_ns: int) -> list[Change]:
    """Removals journalled from ``since_ns`` on that happened after the deadline."""
    found = []
    for change in changes:
        if change.kind is not ChangeKind.REMOVED or change.at_ns < since_ns:
            continue
        deadline = change.instance.expires_ns
        if deadline is not None and change.at_ns > deadline:
            found.append(change)
    return found
