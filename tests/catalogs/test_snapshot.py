"""The snapshot catalog: revisions, the journal, atomic replacement."""

from __future__ import annotations

import dataclasses

import pytest

from catalogs.snapshot import MAX_SELECTIONS, SnapshotCatalog
from registry.store.clock import ManualClock
from registry.store.errors import InstanceNotFoundError
from registry.store.records import ChangeKind, Endpoint, ServiceInstance


def record(id: str, service: str = "web", status: str = "UP") -> ServiceInstance:
    return ServiceInstance(
        id, service, Endpoint("tcp", f"{id}:80"), status, 0, None, (), 0, 0
    )


def test_replace_publishes_diffs_and_moves_revisions():
    catalog = SnapshotCatalog(ManualClock())
    assert catalog.replace([record("a"), record("b", "api")])
    assert (catalog.revision, catalog.change_revision) == (1, 1)
    assert catalog.list_services() == ["api", "web"]
    assert [r.id for r in catalog.list_instances("web")] == ["a"]
    assert catalog.get_instance("b").service_name == "api"
    with pytest.raises(InstanceNotFoundError):
        catalog.get_instance("zzz")

    assert not catalog.replace([record("a"), record("b", "api")])  # no change
    assert catalog.revision == 1

    catalog.replace([record("a", status="DOWN")])
    assert catalog.revision == 2
    assert (catalog.service_revision("web"), catalog.service_revision("api")) == (2, 2)
    kinds = [(c.kind, c.instance.id) for c in catalog.recent_changes()]
    assert kinds[-2:] == [(ChangeKind.REGISTERED, "a"), (ChangeKind.REMOVED, "b")]


def test_a_heartbeat_only_change_is_not_journalled():
    catalog = SnapshotCatalog(ManualClock())
    catalog.replace([record("a")])
    journal = catalog.recent_changes()
    catalog.replace([dataclasses.replace(record("a"), last_renewal_ns=5)])
    assert catalog.revision == 2
    assert catalog.change_revision == 1
    assert catalog.recent_changes() == journal


def test_the_journal_forgets_old_changes():
    clock = ManualClock()
    catalog = SnapshotCatalog(clock, retention_ns=10 * 10**9)
    catalog.replace([record("a")])
    clock.advance(60)
    catalog.replace([record("a"), record("b")])
    assert [c.instance.id for c in catalog.recent_changes()] == ["b"]


def test_filtered_answers_are_kept_per_snapshot_and_follow_a_replacement():
    catalog = SnapshotCatalog(ManualClock())
    catalog.replace([record("a"), record("b", status="DOWN"), record("c", "api")])
    calls: list[str] = []

    def up(instance: ServiceInstance) -> bool:
        calls.append(instance.id)
        return instance.status == "UP"

    assert [r.id for r in catalog.select_instances(None, up, "up")] == ["a", "c"]
    assert [r.id for r in catalog.select_instances("web", up, "up")] == ["a"]
    assert len(calls) == 5
    assert [r.id for r in catalog.select_instances(None, up, "up")] == ["a", "c"]
    assert len(calls) == 5  # kept: the snapshot has not changed
    assert [r.id for r in catalog.select_instances(None, up)] == ["a", "c"]
    assert len(calls) == 8  # an unnamed filter is never kept

    catalog.replace([record("a", status="DOWN"), record("b")])
    assert [r.id for r in catalog.select_instances(None, up, "up")] == ["b"]
    assert [r.id for r in catalog.select_instances("web", up, "up")] == ["b"]
    assert list(catalog.select_instances("web", None)) == catalog.list_instances("web")


def test_a_snapshot_keeps_a_bounded_number_of_filtered_answers():
    catalog = SnapshotCatalog(ManualClock())
    catalog.replace([record("a")])
    for n in range(MAX_SELECTIONS + 10):
        assert len(catalog.select_instances(None, bool, ("n", n))) == 1
    assert len(catalog.snapshot.selections) == MAX_SELECTIONS
    assert (None, ("n", 0)) not in catalog.snapshot.selections  # the oldest went


@pytest.mark.parametrize(
    ("ids", "may_hold_store_ids"),
    [
        (["6b2c3c1e-2a6f-4f86-9a43-5b1a2f0e9d11-8080", "10.0.0.5-80"], False),
        (["26634d9e31ce714e"], True),  # a filesystem entry: a native id
        (["10.0.0.5-80", "MYAPP:10.0.0.5"], True),  # a remote Eureka's
        (["fd00::5-80"], True),  # IPv6 without a pod: it has a colon
        ([], False),
    ],
)
def test_a_snapshot_knows_whether_its_ids_may_be_the_store_s(
    ids: list[str], may_hold_store_ids: bool
):
    catalog = SnapshotCatalog(ManualClock())
    catalog.replace([record(i) for i in ids])
    assert catalog.may_hold_store_ids is may_hold_store_ids
