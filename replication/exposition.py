"""Replication's figures for ``/metrics`` (``docs/metrics.md``).

Made at scrape time from the node's :class:`~replication.state.ReplicationState`:
the cluster's size, each peer stream this node reads (up or not, events applied),
how far behind each peer reading this node's ring is (its lag, in events), and
the node's event counters. Peers are labelled by member id (``ip:port``): one
series per cluster member, never per instance.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)

from replication.state import ReplicationState

#: (metric name without ``_total``, help, ReplicationState attribute)
_COUNTERS = (
    (
        "registry_replication_events_published",
        "Local writes published to this node's outgoing ring.",
        "published",
    ),
    (
        "registry_replication_events_replayed",
        "Events sent again from the ring to peers that reconnected.",
        "replayed",
    ),
    (
        "registry_replication_events_dropped",
        "Events a peer missed by falling a whole ring behind (it got a snapshot "
        "instead), and REPAIR messages that had no stream to go to.",
        "dropped",
    ),
    (
        "registry_replication_events_rejected",
        "Received events that could not be parsed or applied.",
        "rejected",
    ),
    (
        "registry_replication_snapshots_served",
        "Full-state snapshots served to peers that could not be replayed to.",
        "snapshots_served",
    ),
    (
        "registry_replication_instances_reconciled",
        "Instances removed because a peer's full state no longer held them.",
        "reconciled",
    ),
)


def replication_families(state: ReplicationState) -> Iterator[Metric]:
    """The replication families of one node."""
    yield _gauge(
        "registry_replication_cluster_size",
        "Live members of the cluster, this node included.",
        state.cluster_size,
    )
    yield _gauge(
        "registry_replication_cluster_threshold",
        "The cluster_size setting: health warns while the cluster is smaller.",
        state.threshold,
    )
    peers = dict(state.peers)
    yield _gauge(
        "registry_replication_peers",
        "Peers whose replication stream this node reads.",
        len(peers),
    )
    yield _gauge(
        "registry_replication_peers_connected",
        "Peers whose replication stream is connected now.",
        sum(peer.connected for peer in peers.values()),
    )
    up = GaugeMetricFamily(
        "registry_replication_peer_up",
        "Each peer stream this node reads: 1 connected, 0 not.",
        labels=["peer"],
    )
    applied = CounterMetricFamily(
        "registry_replication_peer_events_applied",
        "Events received from each peer and applied here.",
        labels=["peer"],
    )
    for member, peer in sorted(peers.items()):
        up.add_metric([member], 1 if peer.connected else 0)
        applied.add_metric([member], peer.applied)
    yield up
    yield applied
    lag = GaugeMetricFamily(
        "registry_replication_lag_events",
        "Each peer reading this node's stream: events published here that it "
        "has not been sent yet.",
        labels=["peer"],
    )
    for member, depth in sorted(state.queue_depths().items()):
        lag.add_metric([member], depth)
    yield lag
    for name, text, attribute in _COUNTERS:
        yield CounterMetricFamily(name, text, value=getattr(state, attribute))


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)
