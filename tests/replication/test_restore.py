"""The store verb replication applies received instances with: ``restore``."""

from __future__ import annotations

from typing import Any

import pytest

from registry.store.base import Catalog, ForwardingCatalog
from registry.store.clock import ManualClock
from registry.store.errors import FieldTooLongError
from registry.store.memory import InMemoryCatalog
from registry.store.records import (
    ChangeKind,
    Endpoint,
    InstanceRegistration,
    ServiceInstance,
)
from registry.store.rules import RegistrationRules

ORIGIN_NS = 1_600_000_000 * 10**9


def registration(**changes) -> InstanceRegistration:
    fields: dict[str, Any] = {
        "id": "26634d9e31ce714e",
        "service_name": "reviews",
        "endpoint": Endpoint("http", "10.0.0.5:9080"),
        "status": "UP",
        "ttl": 30,
        "metadata": b'{"v":1}',
        "tags": ("v1",),
    }
    fields.update(changes)
    return InstanceRegistration(**fields)


class KeepStored:
    """A rule that always keeps the stored copy (as Eureka's does when the
    stored copy is newer)."""

    def applies_to(self, registration: InstanceRegistration) -> bool:
        return True

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        return None if existing is not None else incoming


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def kinds(catalog: InMemoryCatalog) -> list[ChangeKind]:
    return [change.kind for change in catalog.recent_changes()]


def test_a_new_instance_keeps_the_origins_registration_time(clock):
    catalog = InMemoryCatalog(clock, capacity=0)  # capacity is not checked
    record = catalog.restore(registration(), ORIGIN_NS)
    assert record.registration_ns == ORIGIN_NS
    assert record.last_renewal_ns == clock.now_ns()
    assert catalog.get_instance(record.id) == record
    assert kinds(catalog) == [ChangeKind.REGISTERED]


def test_the_same_registration_unchanged_is_only_a_renewal(clock):
    catalog = InMemoryCatalog(clock)
    catalog.restore(registration(), ORIGIN_NS)
    revision = catalog.revision
    clock.advance(5)
    record = catalog.restore(registration(), ORIGIN_NS)
    assert record.last_renewal_ns == clock.now_ns()
    assert catalog.revision > revision
    assert kinds(catalog) == [ChangeKind.REGISTERED]


def test_the_same_registration_changed_is_an_update(clock):
    catalog = InMemoryCatalog(clock)
    catalog.restore(registration(), ORIGIN_NS)
    changed = catalog.restore(registration(status="OUT_OF_SERVICE"), ORIGIN_NS)
    assert changed.status == "OUT_OF_SERVICE"
    assert kinds(catalog) == [ChangeKind.REGISTERED, ChangeKind.UPDATED]


def test_a_new_registration_time_is_a_registration(clock):
    catalog = InMemoryCatalog(clock)
    catalog.restore(registration(), ORIGIN_NS)
    again = catalog.restore(registration(tags=("v2",)), ORIGIN_NS + 1)
    assert (again.registration_ns, again.tags) == (ORIGIN_NS + 1, ("v2",))
    assert kinds(catalog) == [ChangeKind.REGISTERED, ChangeKind.REGISTERED]


def test_an_older_registration_than_the_stored_one_only_renews_it(clock):
    catalog = InMemoryCatalog(clock)
    newer = catalog.restore(registration(tags=("new",)), ORIGIN_NS + 5)
    clock.advance(1)
    kept = catalog.restore(registration(tags=("old",)), ORIGIN_NS)
    assert (kept.tags, kept.registration_ns) == (("new",), newer.registration_ns)
    assert kept.last_renewal_ns == clock.now_ns()
    assert kinds(catalog) == [ChangeKind.REGISTERED]


def test_rules_decide_new_registrations_but_not_updates(clock):
    catalog = InMemoryCatalog(clock, rules=RegistrationRules([KeepStored()]))
    first = catalog.restore(registration(), ORIGIN_NS)
    kept = catalog.restore(registration(status="DOWN"), ORIGIN_NS + 1)
    assert (kept.status, kept.registration_ns) == ("UP", ORIGIN_NS)
    updated = catalog.restore(registration(status="DOWN"), first.registration_ns)
    assert updated.status == "DOWN"


def test_the_ttl_runs_from_the_restore(clock):
    catalog = InMemoryCatalog(clock)
    record = catalog.restore(registration(ttl=10), ORIGIN_NS)
    clock.advance(10)
    assert catalog.expire() == 0
    clock.advance(0.001)
    assert catalog.expire() == 1
    assert catalog.list_instances() == []
    assert kinds(catalog)[-1] == ChangeKind.REMOVED
    assert record.id not in {i.id for i in catalog.list_instances()}


def test_a_moved_service_is_reindexed(clock):
    catalog = InMemoryCatalog(clock)
    catalog.restore(registration(), ORIGIN_NS)
    catalog.restore(registration(service_name="ratings"), ORIGIN_NS + 1)
    assert catalog.list_services() == ["ratings"]


def test_limits_hold_for_restored_instances(clock):
    catalog = InMemoryCatalog(clock)
    with pytest.raises(FieldTooLongError):
        catalog.restore(registration(status="X" * 33), ORIGIN_NS)
    assert catalog.list_instances() == []


def test_forwarding_catalogs_forward_restore(clock):
    inner = InMemoryCatalog(clock)
    record = ForwardingCatalog(inner).restore(registration(), ORIGIN_NS)
    assert inner.get_instance(record.id) == record


def test_backends_without_restore_say_so(clock):
    class NoRestore(ForwardingCatalog):
        restore = Catalog.restore  # the base's: a backend that cannot replicate

    with pytest.raises(NotImplementedError, match="cannot restore"):
        NoRestore(InMemoryCatalog(clock)).restore(registration(), ORIGIN_NS)
