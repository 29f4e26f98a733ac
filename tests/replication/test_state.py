"""The CLUSTER and REPLICATION health components (spec §8.1), with a moved clock."""

from __future__ import annotations

import pytest

from replication.address import NoAddressError, advertised_address
from replication.state import HEALTH_GRACE, ReplicationState


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cluster_is_always_healthy_and_warns_after_the_grace():
    clock = Clock()
    state = ReplicationState(clock)
    state.threshold = 3
    state.set_cluster_size(2)
    assert state.cluster_health() == (True, {"size": 2, "threshold": 3})
    clock.now += HEALTH_GRACE + 1
    healthy, properties = state.cluster_health()
    assert healthy is True
    assert properties["message"] == (
        "cluster size 2 is below the threshold 3 for at least 10m0s"
    )
    state.set_cluster_size(3)
    assert state.cluster_health() == (True, {"size": 3, "threshold": 3})


def test_replication_turns_unhealthy_when_a_peer_is_down_past_the_grace():
    clock = Clock()
    state = ReplicationState(clock)
    state.peer_up("10.0.0.1:6100")
    state.peer("10.0.0.2:6100")  # known, never connected: down since now
    healthy, properties = state.replication_health()
    assert healthy is True
    assert (properties["peers"], properties["connected"]) == (2, 1)
    assert properties["disconnected_seconds"] == {"10.0.0.2:6100": 0.0}
    clock.now += HEALTH_GRACE + 62
    healthy, properties = state.replication_health()
    assert healthy is False
    assert properties["message"] == (
        "1/2 replication clients disconnected for at least 11m2s"
    )
    state.peer_up("10.0.0.2:6100")
    assert state.replication_health()[0] is True
    state.peer_down("10.0.0.1:6100")
    assert state.replication_health()[1]["disconnected_seconds"] == {
        "10.0.0.1:6100": 0.0
    }


def test_counters_and_queue_depths_are_reported():
    state = ReplicationState(Clock())
    state.published, state.replayed, state.dropped, state.rejected = 5, 4, 3, 2
    state.queue_depths = lambda: {"10.0.0.1:6100": 7}
    properties = state.replication_health()[1]
    assert {key: properties[key] for key in ("published", "replayed", "dropped")} == {
        "published": 5,
        "replayed": 4,
        "dropped": 3,
    }
    assert (properties["rejected"], properties["queue_depths"]) == (
        2,
        {"10.0.0.1:6100": 7},
    )


def test_the_configured_address_wins():
    assert advertised_address("10.9.9.9", find=lambda: "10.1.1.1") == "10.9.9.9"


def test_the_first_non_loopback_address_is_waited_for():
    answers = iter([None, None, "10.1.1.1"])
    assert advertised_address("", find=lambda: next(answers), wait=5) == "10.1.1.1"


def test_no_address_in_time_is_the_originals_error():
    with pytest.raises(NoAddressError, match="No private network is available"):
        advertised_address("", find=lambda: None, wait=0.05)
