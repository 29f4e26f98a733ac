"""MergedCatalog: own instances first, then read-only sources (spec §12.1)."""

from __future__ import annotations

import pytest

from registry.store.base import Catalog
from registry.store.clock import ManualClock
from registry.store.errors import InstanceNotFoundError, ReadOnlyInstanceError
from registry.store.memory import InMemoryCatalog
from registry.store.merged import MergedCatalog

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
