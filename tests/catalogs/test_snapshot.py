"""The snapshot catalog: revisions, the journal, atomic replacement."""

from __future__ import annotations

import dataclasses

import pytest

from catalogs.snapshot import SnapshotCatalog
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
