"""The Catalog contract (registry/store/base.py), run against every backend."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from registry.store.base import Catalog, InstanceUpdate
from registry.store.clock import ManualClock
from registry.store.errors import (
    CapacityExceededError,
    FieldTooLongError,
    InstanceNotFoundError,
    RenewalRefusedError,
)
from registry.store.records import (
    Endpoint,
    InstanceRegistration,
    ServiceInstance,
    instance_id,
)
from registry.store.rules import RegistrationRules

from .conftest import CatalogFactory


def registration(
    service: str = "reviews",
    value: str = "10.0.0.5:9080",
    *,
    status: str = "UP",
    ttl: int = 30,
    metadata: bytes | None = b'{"version":"v1"}',
    tags: tuple[str, ...] = ("v1",),
) -> InstanceRegistration:
    endpoint = Endpoint("http", value)
    return InstanceRegistration(
        id=instance_id(service, endpoint),
        service_name=service,
        endpoint=endpoint,
        status=status,
        ttl=ttl,
        metadata=metadata,
        tags=tags,
    )


def test_register_then_get_returns_the_record(catalog: Catalog, clock: ManualClock):
    record = catalog.register(registration())

    assert record.id == "26634d9e31ce714e"
    assert record.service_name == "reviews"
    assert record.endpoint == Endpoint("http", "10.0.0.5:9080")
    assert (record.status, record.ttl, record.tags) == ("UP", 30, ("v1",))
    assert record.metadata == b'{"version":"v1"}'
    assert record.registration_ns == record.last_renewal_ns == clock.now_ns()
    assert catalog.get_instance(record.id) == record


def test_reregistration_replaces_the_instance(catalog: Catalog, clock: ManualClock):
    first = catalog.register(registration(ttl=30, tags=("v1",)))
    clock.advance(5)
    second = catalog.register(registration(ttl=60, tags=("v2",)))

    assert second.id == first.id
    assert second.ttl == 60
    assert second.tags == ("v2",)
    assert second.registration_ns == clock.now_ns()
    assert catalog.list_instances() == [second]


def test_get_unknown_instance_raises(catalog: Catalog):
    with pytest.raises(InstanceNotFoundError):
        catalog.get_instance("nope")


def test_deregister_removes_and_returns_the_instance(catalog: Catalog):
    record = catalog.register(registration())

    assert catalog.deregister(record.id) == record
    with pytest.raises(InstanceNotFoundError):
        catalog.get_instance(record.id)
    with pytest.raises(InstanceNotFoundError):
        catalog.deregister(record.id)
    assert catalog.list_services() == []
    assert catalog.list_instances("reviews") == []


def test_renew_moves_the_heartbeat_only(catalog: Catalog, clock: ManualClock):
    record = catalog.register(registration())
    clock.advance(7)

    catalog.renew(record.id)
    renewed = catalog.get_instance(record.id)

    assert renewed.last_renewal_ns == clock.now_ns()
    assert renewed.registration_ns == record.registration_ns
    assert (renewed.ttl, renewed.status, renewed.tags) == (30, "UP", ("v1",))
    with pytest.raises(InstanceNotFoundError):
        catalog.renew("nope")


def test_set_status_changes_status_and_renews(catalog: Catalog, clock: ManualClock):
    record = catalog.register(registration())
    clock.advance(3)

    changed = catalog.set_status(record.id, "OUT_OF_SERVICE")

    assert changed.status == "OUT_OF_SERVICE"
    assert changed.last_renewal_ns == clock.now_ns()
    assert catalog.get_instance(record.id).status == "OUT_OF_SERVICE"
    with pytest.raises(InstanceNotFoundError):
        catalog.set_status("nope", "UP")


def test_listing_by_service_uses_only_that_service(catalog: Catalog):
    a1 = catalog.register(registration("a", "1"))
    a2 = catalog.register(registration("a", "2"))
    b1 = catalog.register(registration("b", "1"))

    assert sorted(i.id for i in catalog.list_instances("a")) == sorted([a1.id, a2.id])
    assert [i.id for i in catalog.list_instances("b")] == [b1.id]
    assert catalog.list_instances("c") == []
    assert len(catalog.list_instances()) == 3
    assert catalog.list_services() == ["a", "b"]


def test_revision_moves_on_every_change(catalog: Catalog, clock: ManualClock):
    seen = [catalog.revision]

    def changed() -> None:
        assert catalog.revision > seen[-1]
        seen.append(catalog.revision)

    record = catalog.register(registration(ttl=10))
    changed()
    catalog.renew(record.id)
    changed()
    catalog.set_status(record.id, "STARTING")
    changed()
    catalog.register(registration(ttl=10))
    changed()
    clock.advance(11)
    assert catalog.expire() == 1
    changed()
    catalog.register(registration(ttl=10))
    changed()
    catalog.deregister(record.id)
    changed()


def test_failed_operations_leave_the_revision_alone(catalog: Catalog):
    revision = catalog.revision
    for operation in (catalog.renew, catalog.deregister, catalog.get_instance):
        with pytest.raises(InstanceNotFoundError):
            operation("nope")
    assert catalog.revision == revision


def test_service_revision_moves_only_with_its_service(catalog: Catalog):
    assert catalog.service_revision("a") == 0
    a = catalog.register(registration("a", "1"))
    a_revision = catalog.service_revision("a")
    assert a_revision > 0

    catalog.register(registration("b", "1"))
    assert catalog.service_revision("a") == a_revision

    catalog.renew(a.id)
    assert catalog.service_revision("a") > a_revision
    removed = catalog.service_revision("a")
    catalog.deregister(a.id)
    assert catalog.service_revision("a") > removed


def test_expiry_happens_strictly_after_the_deadline(
    catalog: Catalog, clock: ManualClock
):
    record = catalog.register(registration(ttl=30))

    clock.advance(30)
    assert catalog.expire() == 0
    assert catalog.get_instance(record.id)

    clock.advance(0.001)
    assert catalog.expire() == 1
    with pytest.raises(InstanceNotFoundError):
        catalog.get_instance(record.id)
    assert catalog.list_services() == []


def test_heartbeats_keep_an_instance_alive(catalog: Catalog, clock: ManualClock):
    record = catalog.register(registration(ttl=10))
    for _ in range(5):
        clock.advance(8)
        catalog.renew(record.id)
        assert catalog.expire() == 0
    clock.advance(10.5)
    assert catalog.expire() == 1


def test_out_of_service_never_expires(catalog: Catalog, clock: ManualClock):
    record = catalog.register(registration(status="OUT_OF_SERVICE", ttl=10))
    clock.advance(3600)
    assert catalog.expire() == 0
    assert catalog.get_instance(record.id).status == "OUT_OF_SERVICE"

    catalog.set_status(record.id, "UP")
    clock.advance(10.5)
    assert catalog.expire() == 1


def test_status_change_to_out_of_service_stops_expiry(
    catalog: Catalog, clock: ManualClock
):
    record = catalog.register(registration(ttl=10))
    catalog.set_status(record.id, "OUT_OF_SERVICE")
    clock.advance(100)
    assert catalog.expire() == 0
    assert catalog.get_instance(record.id)


def test_shorter_ttl_on_reregistration_takes_effect(
    catalog: Catalog, clock: ManualClock
):
    catalog.register(registration(ttl=600))
    clock.advance(1)
    record = catalog.register(registration(ttl=10))
    clock.advance(10.5)
    assert catalog.expire() == 1
    with pytest.raises(InstanceNotFoundError):
        catalog.get_instance(record.id)


def test_reregistration_after_expiry_starts_afresh(
    catalog: Catalog, clock: ManualClock
):
    catalog.register(registration(ttl=10))
    clock.advance(11)
    assert catalog.expire() == 1
    record = catalog.register(registration(ttl=10))
    clock.advance(9)
    assert catalog.expire() == 0
    assert catalog.get_instance(record.id)


def test_capacity_limits_new_instances_only(make_catalog: CatalogFactory):
    catalog = make_catalog(capacity=2)
    catalog.register(registration("a", "1"))
    catalog.register(registration("a", "2"))

    with pytest.raises(CapacityExceededError):
        catalog.register(registration("a", "3"))
    assert len(catalog.list_instances()) == 2
    # Replacing an existing id at capacity always succeeds.
    assert catalog.register(registration("a", "2", ttl=60)).ttl == 60

    catalog.deregister(instance_id("a", Endpoint("http", "1")))
    catalog.register(registration("a", "3"))
    assert len(catalog.list_instances()) == 2


def test_zero_capacity_admits_nothing(make_catalog: CatalogFactory):
    catalog = make_catalog(capacity=0)
    with pytest.raises(CapacityExceededError):
        catalog.register(registration())
    assert catalog.list_instances() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service_name": "s" * 65}, "service_name"),
        ({"endpoint": Endpoint("http", "v" * 129)}, "endpoint"),
        ({"status": "S" * 33}, "status"),
        ({"metadata": b'"' + b"m" * 1023 + b'"'}, "metadata"),
    ],
)
def test_field_limits_are_enforced(catalog: Catalog, change: dict, field: str):
    with pytest.raises(FieldTooLongError) as raised:
        catalog.register(dataclasses.replace(registration(), **change))
    assert raised.value.field == field
    assert catalog.list_instances() == []


def test_field_limits_admit_values_at_the_limit(catalog: Catalog):
    record = catalog.register(
        dataclasses.replace(
            registration(),
            service_name="é" * 32,
            endpoint=Endpoint("http", "v" * 128),
            metadata=b'"' + b"m" * 1022 + b'"',
        )
    )
    assert catalog.get_instance(record.id) == record


def test_limits_count_bytes_not_characters(catalog: Catalog):
    with pytest.raises(FieldTooLongError):
        catalog.register(dataclasses.replace(registration(), service_name="é" * 33))


def kinds(catalog: Catalog) -> list[tuple[str, str]]:
    return [(c.kind.value, c.instance.endpoint.value) for c in catalog.recent_changes()]


def test_journal_records_registrations_updates_and_removals(
    catalog: Catalog, clock: ManualClock
):
    a = catalog.register(registration("s", "a", ttl=10))
    b = catalog.register(registration("s", "b", ttl=600))
    catalog.renew(a.id)  # heartbeats are not journalled
    catalog.set_status(b.id, "OUT_OF_SERVICE")
    catalog.register(registration("s", "b", ttl=600))
    catalog.deregister(b.id)
    clock.advance(11)
    catalog.expire()

    assert kinds(catalog) == [
        ("REGISTERED", "a"),
        ("REGISTERED", "b"),
        ("UPDATED", "b"),
        ("REGISTERED", "b"),
        ("REMOVED", "b"),
        ("REMOVED", "a"),
    ]
    changes = catalog.recent_changes()
    assert changes[2].instance.status == "OUT_OF_SERVICE"
    assert [c.revision for c in changes] == sorted(c.revision for c in changes)
    assert changes[-1].revision == catalog.revision
    assert changes[-1].at_ns == clock.now_ns()


def test_journal_forgets_changes_after_three_minutes(
    catalog: Catalog, clock: ManualClock
):
    catalog.register(registration("s", "old", ttl=600))
    clock.advance(120)
    catalog.register(registration("s", "new", ttl=600))
    clock.advance(61)
    assert kinds(catalog) == [("REGISTERED", "new")]
    clock.advance(120)
    assert catalog.recent_changes() == []


def test_extension_is_kept_and_replaced_by_status_changes(catalog: Catalog):
    record = catalog.register(
        dataclasses.replace(registration(), extension=b'{"app":"A"}')
    )
    assert catalog.get_instance(record.id).extension == b'{"app":"A"}'
    catalog.renew(record.id)
    assert catalog.get_instance(record.id).extension == b'{"app":"A"}'
    catalog.set_status(record.id, "DOWN")
    assert catalog.get_instance(record.id).extension == b'{"app":"A"}'
    catalog.set_status(record.id, "UP", extension=b'{"app":"B"}')
    assert catalog.get_instance(record.id).extension == b'{"app":"B"}'


def test_change_revision_ignores_heartbeats(catalog: Catalog, clock: ManualClock):
    assert catalog.change_revision == 0
    record = catalog.register(registration(ttl=10))
    registered = catalog.change_revision
    assert registered == catalog.revision

    catalog.renew(record.id)
    assert catalog.change_revision == registered
    assert catalog.revision > registered

    catalog.set_status(record.id, "DOWN")
    assert catalog.change_revision == catalog.revision
    clock.advance(11)
    catalog.expire()
    assert catalog.change_revision == catalog.revision


@pytest.mark.parametrize(
    "operation", ["renew", "deregister", "get_instance", "set_status"]
)
def test_an_instance_past_its_deadline_is_gone_before_the_sweep(
    catalog: Catalog, clock: ManualClock, operation: str
):
    record = catalog.register(registration(ttl=10))
    clock.advance(10.001)
    args = (record.id, "UP") if operation == "set_status" else (record.id,)
    with pytest.raises(InstanceNotFoundError):
        getattr(catalog, operation)(*args)
    with pytest.raises(InstanceNotFoundError):
        catalog.renew(record.id)  # not revived by the failed call
    assert catalog.list_services() == []
    assert kinds(catalog)[-1] == ("REMOVED", "10.0.0.5:9080")
    assert catalog.expire() == 0


# -- update, guarded renewal and registration rules ----------------------------


def test_update_changes_the_given_fields_in_place(catalog: Catalog, clock: ManualClock):
    record = catalog.register(
        dataclasses.replace(registration(ttl=30), extension=b'{"v":1}')
    )
    clock.advance(4)
    seen: list[ServiceInstance] = []

    def change(stored: ServiceInstance) -> InstanceUpdate:
        seen.append(stored)
        return InstanceUpdate("DOWN", b'{"version":"v2"}', ("v2",), b'{"v":2}')

    updated = catalog.update(record.id, change)

    assert seen[-1] == record
    assert (updated.status, updated.metadata, updated.tags, updated.extension) == (
        "DOWN",
        b'{"version":"v2"}',
        ("v2",),
        b'{"v":2}',
    )
    assert updated.registration_ns == record.registration_ns
    assert updated.last_renewal_ns == clock.now_ns()
    assert (updated.ttl, updated.endpoint, updated.service_name) == (
        30,
        record.endpoint,
        "reviews",
    )
    assert catalog.get_instance(record.id) == updated
    assert [i.id for i in catalog.list_instances("reviews")] == [record.id]
    assert catalog.list_instances("reviews")[0].tags == ("v2",)
    assert kinds(catalog)[-1] == ("UPDATED", "10.0.0.5:9080")
    assert catalog.recent_changes()[-1].instance == updated


def test_an_update_can_count_as_a_re_registration(catalog: Catalog, clock: ManualClock):
    record = catalog.register(registration())
    clock.advance(4)

    updated = catalog.update(
        record.id,
        lambda r: dataclasses.replace(
            InstanceUpdate.of(r), metadata=b'{"k":"v"}', reregister=True
        ),
    )

    assert updated.registration_ns == updated.last_renewal_ns == clock.now_ns()
    assert updated.metadata == b'{"k":"v"}'
    assert catalog.get_instance(record.id) == updated
    assert [kind for kind, _ in kinds(catalog)] == ["REGISTERED", "REGISTERED"]
    assert catalog.recent_changes()[-1].instance == updated
    # Nothing changed but the time: a re-registration still.
    clock.advance(1)
    again = catalog.update(
        record.id, lambda r: dataclasses.replace(InstanceUpdate.of(r), reregister=True)
    )
    assert again.registration_ns == clock.now_ns()
    assert catalog.get_instance(record.id).registration_ns == clock.now_ns()


def test_update_can_drop_metadata_and_extension(catalog: Catalog):
    record = catalog.register(dataclasses.replace(registration(), extension=b'{"v":1}'))
    catalog.update(record.id, lambda r: InstanceUpdate("UP", None, (), None))
    stored = catalog.get_instance(record.id)
    assert (stored.metadata, stored.tags, stored.extension) == (None, (), None)


def test_update_checks_limits_and_unknown_ids(catalog: Catalog):
    record = catalog.register(registration())
    too_long = b'{"k":"' + b"x" * 1100 + b'"}'
    with pytest.raises(FieldTooLongError):
        catalog.update(
            record.id,
            lambda r: dataclasses.replace(InstanceUpdate.of(r), metadata=too_long),
        )
    assert catalog.get_instance(record.id) == record
    with pytest.raises(InstanceNotFoundError):
        catalog.update("nope", InstanceUpdate.of)


def test_a_renewal_guard_decides_on_the_stored_copy(
    catalog: Catalog, clock: ManualClock
):
    record = catalog.register(registration(status="STARTING"))
    clock.advance(5)
    with pytest.raises(RenewalRefusedError):
        catalog.renew(record.id, lambda stored: stored.status == "UP")
    assert catalog.get_instance(record.id).last_renewal_ns == record.registration_ns

    catalog.renew(record.id, lambda stored: stored.status == "STARTING")
    assert catalog.get_instance(record.id).last_renewal_ns == clock.now_ns()
    with pytest.raises(InstanceNotFoundError):
        catalog.renew("nope", lambda stored: True)


class KeepNewerVersion:
    """A test rule: metadata ``{"version": n}``; the higher version wins, and a
    ``"keep"`` member of the stored copy survives re-registration."""

    def applies_to(self, registration: InstanceRegistration) -> bool:
        return registration.metadata is not None

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        if existing is None or existing.metadata is None:
            return incoming
        new, old = (
            orjson.loads(incoming.metadata or b"{}"),
            orjson.loads(existing.metadata),
        )
        if old["version"] > new["version"]:
            return None
        if "keep" in old:
            new["keep"] = old["keep"]
        return dataclasses.replace(incoming, metadata=orjson.dumps(new))


def test_a_registration_rule_keeps_the_newer_stored_copy(
    make_catalog: CatalogFactory, clock: ManualClock
):
    catalog = make_catalog(rules=RegistrationRules([KeepNewerVersion()]))
    newer = catalog.register(registration(metadata=b'{"version":2,"keep":"k"}'))
    clock.advance(3)

    kept = catalog.register(registration(metadata=b'{"version":1}', tags=("old",)))

    assert kept.metadata == newer.metadata
    assert kept.tags == newer.tags
    assert kept.registration_ns == newer.registration_ns
    assert kept.last_renewal_ns == clock.now_ns()  # renewed, not replaced
    assert catalog.get_instance(newer.id) == kept
    assert [kind for kind, _ in kinds(catalog)] == ["REGISTERED"]


def test_a_registration_rule_adjusts_what_is_stored(
    make_catalog: CatalogFactory, clock: ManualClock
):
    catalog = make_catalog(rules=RegistrationRules([KeepNewerVersion()]))
    catalog.register(registration(metadata=b'{"version":1,"keep":"k"}'))
    clock.advance(3)

    replaced = catalog.register(registration(metadata=b'{"version":3}'))

    assert orjson.loads(replaced.metadata or b"") == {"version": 3, "keep": "k"}
    assert replaced.registration_ns == clock.now_ns()
    assert catalog.get_instance(replaced.id) == replaced
    assert catalog.register(registration(metadata=None)).metadata is None  # no say


def test_a_rule_never_keeps_an_expired_copy(
    make_catalog: CatalogFactory, clock: ManualClock
):
    catalog = make_catalog(rules=RegistrationRules([KeepNewerVersion()]))
    catalog.register(registration(ttl=10, metadata=b'{"version":9}'))
    clock.advance(11)

    stored = catalog.register(registration(ttl=10, metadata=b'{"version":1}'))

    assert stored.metadata == b'{"version":1}'
    assert catalog.get_instance(stored.id) == stored


class AlwaysKeep:
    """A test rule that keeps whatever is stored."""

    def applies_to(self, registration: InstanceRegistration) -> bool:
        return True

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        return None


def test_a_rule_that_keeps_the_stored_copy_stores_the_first_registration(
    make_catalog: CatalogFactory, clock: ManualClock
):
    """``None`` means "keep the stored copy": with none stored, the registration is."""
    catalog = make_catalog(rules=RegistrationRules([AlwaysKeep()]))
    first = catalog.register(registration(tags=("first",)))
    assert catalog.get_instance(first.id) == first
    clock.advance(2)

    kept = catalog.register(registration(tags=("second",)))

    assert kept.tags == ("first",)
    assert kept.last_renewal_ns == clock.now_ns()
    assert catalog.get_instance(first.id) == kept


# -- counts ---------------------------------------------------------------------


def listed_by_status(catalog: Catalog) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in catalog.list_instances():
        counts[record.status] = counts.get(record.status, 0) + 1
    return counts


def test_counts_by_status_are_exactly_what_a_listing_shows(
    catalog: Catalog, clock: ManualClock
):
    assert catalog.count_by_status() == {}
    records = [
        catalog.register(registration(f"svc-{n % 3}", f"10.0.0.{n}:80", ttl=10))
        for n in range(6)
    ]
    catalog.register(registration("svc-0", "10.0.1.1:80", status="STARTING"))
    assert catalog.count_by_status() == {"UP": 6, "STARTING": 1}

    catalog.set_status(records[0].id, "OUT_OF_SERVICE")  # a status change
    catalog.set_status(records[1].id, "UP")  # the same status again
    catalog.register(registration("svc-2", "10.0.0.2:80", status="DOWN", ttl=10))
    catalog.deregister(records[3].id)
    with pytest.raises(InstanceNotFoundError):
        catalog.deregister(records[3].id)  # counted once
    assert catalog.count_by_status() == {
        "UP": 3,
        "STARTING": 1,
        "OUT_OF_SERVICE": 1,
        "DOWN": 1,
    }
    assert catalog.count_by_status() == listed_by_status(catalog)

    clock.advance(5)
    catalog.renew(records[4].id)
    clock.advance(5.5)  # past the others' deadlines, before any sweep
    # (whether a listing still shows them before the sweep is the backend's)
    assert catalog.count_by_status() == listed_by_status(catalog)
    catalog.expire()
    assert catalog.count_by_status() == {"UP": 1, "STARTING": 1, "OUT_OF_SERVICE": 1}
    assert catalog.count_by_status() == listed_by_status(catalog)
    clock.advance(30)
    catalog.expire()
    assert catalog.count_by_status() == {"OUT_OF_SERVICE": 1}
    assert catalog.count_by_status() == listed_by_status(catalog)
