"""The replication and catalog families from their state objects, in every state
(the e2e tests in ``test_metrics_plugins.py`` see the healthy ones)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

from catalogs.exposition import source_families
from catalogs.state import SourceState
from replication.exposition import replication_families
from replication.state import ReplicationState
from tests.metrics.support import promtool_check, value


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def exposition(families: list[Metric]) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    text = generate_latest(registry).decode()
    promtool_check(text)
    return text


def test_replication_figures_of_a_node_with_a_peer_down_and_one_behind():
    state = ReplicationState(clock=lambda: 100.0)
    state.threshold = 3
    state.set_cluster_size(2)
    state.peer_up("10.0.0.1:6100")
    state.peer("10.0.0.1:6100").applied = 7
    state.peer_down("10.0.0.2:6100")
    state.published, state.replayed, state.dropped = 40, 3, 2
    state.rejected, state.snapshots_served, state.reconciled = 1, 4, 5
    state.queue_depths = lambda: {"10.0.0.1:6100": 0, "10.0.0.3:6100": 12}

    text = exposition(list(replication_families(state)))

    assert value(text, "registry_replication_cluster_size") == 2
    assert value(text, "registry_replication_cluster_threshold") == 3
    assert value(text, "registry_replication_peers") == 2
    assert value(text, "registry_replication_peers_connected") == 1
    assert value(text, "registry_replication_peer_up", peer="10.0.0.1:6100") == 1
    assert value(text, "registry_replication_peer_up", peer="10.0.0.2:6100") == 0
    applied = "registry_replication_peer_events_applied_total"
    assert value(text, applied, peer="10.0.0.1:6100") == 7
    assert value(text, applied, peer="10.0.0.2:6100") == 0
    assert value(text, "registry_replication_lag_events", peer="10.0.0.3:6100") == 12
    assert value(text, "registry_replication_lag_events", peer="10.0.0.1:6100") == 0
    for name, expected in [
        ("events_published", 40),
        ("events_replayed", 3),
        ("events_dropped", 2),
        ("events_rejected", 1),
        ("snapshots_served", 4),
        ("instances_reconciled", 5),
    ]:
        assert value(text, f"registry_replication_{name}_total") == expected


def test_catalog_figures_of_sources_never_synced_failing_and_fine():
    never = SourceState("kubernetes:web")
    failing = SourceState("eureka")
    failing.succeeded(1_700_000_000_000_000_000, instances=4)
    failing.failed(1_700_000_060_000_000_000, "connection refused")
    fine = SourceState("filesystem:web")
    fine.succeeded(1_700_000_030_500_000_000, instances=2)

    text = exposition(
        list(
            source_families(
                [
                    ("kubernetes", "web", never.status),
                    ("eureka", "default", failing.status),
                    ("filesystem", "web", fine.status),
                ]
            )
        )
    )

    def figure(name: str, source: str, namespace: str) -> float | None:
        return value(
            text, f"registry_catalog_source_{name}", source=source, namespace=namespace
        )

    assert figure("synced", "kubernetes", "web") == 0
    assert figure("last_success_timestamp_seconds", "kubernetes", "web") == 0
    assert figure("syncs_total", "kubernetes", "web") == 0
    assert figure("synced", "eureka", "default") == 0
    assert figure("instances", "eureka", "default") == 4  # the last good content
    assert figure("errors_total", "eureka", "default") == 1
    assert figure("last_error_timestamp_seconds", "eureka", "default") == 1.70000006e9
    assert figure("last_success_timestamp_seconds", "eureka", "default") == 1.7e9
    assert figure("synced", "filesystem", "web") == 1
    assert figure("last_success_timestamp_seconds", "filesystem", "web") == 1700000030.5
    assert figure("instances", "filesystem", "web") == 2
