"""MergedCatalog: own instances first, then read-only sources (spec §12.1)."""

from __future__ import annotations

import pytest

from catalogs.snapshot import SnapshotCatalog
from registry.store.base import Catalog
from registry.store.clock import ManualClock
from registry.store.errors import InstanceNotFoundError, ReadOnlyInstanceError
from registry.store.memory import InMemoryCatalog
from registry.store.merged import MergedCatalog
from registry.store.records import Endpoint, ServiceInstance, instance_id

from .conftest import CatalogFactory
from .test_contract import registration


@pytest.fixture
def source(clock: ManualClock) -> InMemoryCatalog:
    """A read-only source (an in-memory catalog filled by the test)."""
    return InMemoryCatalog(clock)


@pytest.fixture
def merged(make_catalog: CatalogFactory, source: InMemoryCatalog) -> MergedCatalog:
    return MergedCatalog(make_catalog(), [source])


def test_listings_show_own_instances_then_the_sources(
    merged: MergedCatalog, source: InMemoryCatalog
):
    own = merged.register(registration("reviews", "own:1"))
    theirs = source.register(registration("reviews", "src:1"))
    other = source.register(registration("ratings", "src:2"))

    assert [i.id for i in merged.list_instances()] == [own.id, theirs.id, other.id]
    assert [i.id for i in merged.list_instances("reviews")] == [own.id, theirs.id]
    assert merged.list_services() == ["ratings", "reviews"]
    assert merged.get_instance(theirs.id) == theirs
    assert merged.get_instance(own.id) == own
    with pytest.raises(InstanceNotFoundError):
        merged.get_instance("nope")


def test_the_namespace_own_copy_of_an_id_wins(
    merged: MergedCatalog, source: InMemoryCatalog
):
    source.register(registration("reviews", "same", tags=("source",)))
    own = merged.register(registration("reviews", "same", tags=("own",)))

    assert merged.list_instances("reviews") == [own]
    assert merged.get_instance(own.id).tags == ("own",)


def test_writes_to_a_source_instance_are_read_only(
    merged: MergedCatalog, source: InMemoryCatalog
):
    theirs = source.register(registration("reviews", "src:1"))

    for write in (
        lambda: merged.renew(theirs.id),
        lambda: merged.deregister(theirs.id),
        lambda: merged.set_status(theirs.id, "DOWN"),
        lambda: merged.update(theirs.id, lambda r: r),  # type: ignore[arg-type,return-value]
    ):
        with pytest.raises(ReadOnlyInstanceError):
            write()
    assert source.get_instance(theirs.id) == theirs
    with pytest.raises(InstanceNotFoundError) as unknown:
        merged.renew("nope")
    assert not isinstance(unknown.value, ReadOnlyInstanceError)


def test_revisions_move_when_any_part_changes(
    merged: MergedCatalog, source: InMemoryCatalog, clock: ManualClock
):
    seen = [merged.revision]
    services = [merged.service_revision("reviews")]

    def moved() -> None:
        assert merged.revision > seen[-1]
        assert merged.service_revision("reviews") > services[-1]
        assert merged.service_revision("reviews") <= merged.revision
        seen.append(merged.revision)
        services.append(merged.service_revision("reviews"))

    own = merged.register(registration("reviews", "own:1"))
    moved()
    theirs = source.register(registration("reviews", "src:1"))
    moved()
    source.renew(theirs.id)
    moved()
    change = merged.change_revision
    source.deregister(theirs.id)
    moved()
    assert merged.change_revision > change
    merged.renew(own.id)
    moved()


def test_recent_changes_merge_in_time_order(
    merged: MergedCatalog, source: InMemoryCatalog, clock: ManualClock
):
    merged.register(registration("a", "own:1"))
    clock.advance(1)
    source.register(registration("b", "src:1"))
    clock.advance(1)
    merged.register(registration("c", "own:2"))

    services = [c.instance.service_name for c in merged.recent_changes()]
    assert services == ["a", "b", "c"]


def test_a_merged_catalog_without_sources_is_its_own_catalog(
    make_catalog: CatalogFactory,
):
    inner: Catalog = make_catalog()
    merged = MergedCatalog(inner, [])
    record = merged.register(registration())
    assert merged.list_instances() == inner.list_instances() == [record]
    assert merged.revision == inner.revision


def test_counts_add_the_sources_instances_the_namespace_does_not_shadow(
    merged: MergedCatalog, source: InMemoryCatalog
):
    merged.register(registration("reviews", "own:1"))
    merged.register(registration("reviews", "same", status="DOWN"))
    source.register(registration("reviews", "same", status="STARTING"))  # shadowed
    source.register(registration("reviews", "src:1", status="STARTING"))
    source.register(registration("ratings", "src:2"))

    assert merged.count_by_status() == {"UP": 2, "DOWN": 1, "STARTING": 1}
    counted: dict[str, int] = {}
    for record in merged.list_instances():
        counted[record.status] = counted.get(record.status, 0) + 1
    assert merged.count_by_status() == counted


def test_a_filter_runs_on_each_part_and_keeps_the_order(
    merged: MergedCatalog, source: InMemoryCatalog
):
    own_v1 = merged.register(registration("reviews", "own:1", tags=("v1",)))
    merged.register(registration("reviews", "own:2", tags=("v2",)))
    theirs_v1 = source.register(registration("reviews", "src:1", tags=("v1",)))
    source.register(registration("ratings", "src:2", tags=("v1",)))

    def v1(record: ServiceInstance) -> bool:
        return "v1" in record.tags

    selected = merged.select_instances("reviews", v1, "v1")
    assert [r.id for r in selected] == [own_v1.id, theirs_v1.id]
    every_v1 = merged.select_instances(None, v1, "v1")
    assert len(every_v1) == 3
    assert every_v1[:2] == [own_v1, theirs_v1]
    assert merged.select_instances("nope", v1) == []
    assert merged.select_instances(None, None) == merged.list_instances()


def test_an_own_copy_the_filter_leaves_out_still_hides_the_source_copy(
    merged: MergedCatalog, source: InMemoryCatalog
):
    source.register(registration("reviews", "same", tags=("v1",)))
    own = merged.register(registration("reviews", "same", tags=("v2",)))

    def v1(record: ServiceInstance) -> bool:
        return "v1" in record.tags

    assert merged.select_instances("reviews", v1, "v1") == []
    assert merged.select_instances(None, v1, "v1") == []
    assert merged.list_instances() == [own]


def test_a_later_source_does_not_repeat_an_id_an_earlier_one_shows(
    make_catalog: CatalogFactory, clock: ManualClock
):
    first, second = InMemoryCatalog(clock), InMemoryCatalog(clock)
    merged = MergedCatalog(make_catalog(), [first, second])
    shown = first.register(registration("reviews", "src:1", tags=("first",)))
    second.register(registration("reviews", "src:1", tags=("second",)))
    other = second.register(registration("reviews", "src:2"))

    assert merged.list_instances("reviews") == [shown, other]
    assert merged.list_instances() == [shown, other]
    assert merged.get_instance(shown.id) == shown


def snapshot_of(clock: ManualClock, *records: ServiceInstance) -> SnapshotCatalog:
    catalog = SnapshotCatalog(clock)
    catalog.replace(records)
    return catalog


def kubernetes_like(service: str, n: int) -> ServiceInstance:
    """Ids as Kubernetes gives them (``<ipv4>-<port>``): never the store's."""
    return ServiceInstance(
        f"10.1.0.{n}-8080", service, Endpoint("tcp", f"10.1.0.{n}:8080"),
        "UP", 0, None, (), 0, 0,
    )  # fmt: skip


def file_like(service: str, value: str) -> ServiceInstance:
    """A filesystem entry: the native id of its service and endpoint."""
    endpoint = Endpoint("http", value)
    return ServiceInstance(
        instance_id(service, endpoint), service, endpoint,
        "UP", 0, None, ("filesystem",), 0, 0,
    )  # fmt: skip


def test_a_source_whose_ids_cannot_be_the_store_s_is_shown_whole(
    make_catalog: CatalogFactory, clock: ManualClock
):
    pods = snapshot_of(clock, kubernetes_like("reviews", 1), kubernetes_like("a", 2))
    merged = MergedCatalog(make_catalog(), [pods])
    own = merged.register(registration("reviews", "10.1.0.1:8080"))

    assert not pods.may_hold_store_ids
    assert [r.id for r in merged.list_instances("reviews")] == [
        own.id,
        "10.1.0.1-8080",
    ]
    assert [r.id for r in merged.list_instances()] == [
        own.id,
        "10.1.0.1-8080",
        "10.1.0.2-8080",
    ]


def test_a_file_entry_with_a_registered_endpoint_shows_once_as_the_own_copy(
    make_catalog: CatalogFactory, clock: ManualClock
):
    files = snapshot_of(
        clock, file_like("reviews", "10.0.0.5:9080"), file_like("reviews", "10.0.0.6:1")
    )
    merged = MergedCatalog(make_catalog(), [files])
    own = merged.register(registration("reviews", "10.0.0.5:9080"))

    assert files.may_hold_store_ids
    listed = merged.list_instances("reviews")
    assert listed[0] == own
    assert len(listed) == 2
    assert listed[1].endpoint.value == "10.0.0.6:1"
    assert [r.id for r in merged.list_instances()] == [r.id for r in listed]

    def tagged(record: ServiceInstance) -> bool:
        return "filesystem" in record.tags

    assert merged.select_instances(None, tagged, "filesystem") == [listed[1]]
