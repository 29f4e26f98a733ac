"""The outgoing ring: ids, replay, snapshots, overflow, REPAIR queues."""

from __future__ import annotations

import threading

from replication.hub import FRESH_EPOCH, REPAIR_QUEUE_LIMIT, SNAPSHOT, Hub
from replication.state import ReplicationState
from replication.wire import frame


def make_hub(size: int = 8) -> tuple[Hub, ReplicationState]:
    state = ReplicationState()
    return Hub(state, size=size), state


def test_events_get_ids_from_one_and_reach_a_live_reader():
    hub, state = make_hub()
    hub.publish(b"before")
    subscription, mode = hub.subscribe("peer", None, None)
    assert mode == "live"
    hub.publish(b"a")
    hub.publish(b"b")
    assert hub.next_batch(subscription, 0) == [
        frame("REP", b"a", "2"),
        frame("REP", b"b", "3"),
    ]
    assert hub.next_batch(subscription, 0.01) == []
    assert state.published == 3


def test_a_reader_waiting_wakes_on_publish():
    hub, _ = make_hub()
    subscription, _ = hub.subscribe("peer", None, None)
    timer = threading.Timer(0.05, hub.publish, (b"x",))
    timer.start()
    assert hub.next_batch(subscription, 5) == [frame("REP", b"x", "1")]
    timer.join()


def test_a_reconnecting_reader_of_the_same_epoch_gets_what_it_missed():
    hub, state = make_hub()
    for n in range(5):
        hub.publish(b"%d" % n)
    subscription, mode = hub.subscribe("peer", 2, hub.epoch)
    assert mode == "replay"
    batch = hub.next_batch(subscription, 0)
    assert batch is not None
    assert [f.split(b"\n")[0] for f in batch] == [
        b"id: 3",
        b"id: 4",
        b"id: 5",
    ]
    assert state.replayed == 3


def test_a_reader_of_another_epoch_or_too_far_behind_gets_a_snapshot():
    hub, _ = make_hub(size=4)
    for _ in range(10):
        hub.publish(b"x")
    assert hub.subscribe("a", 9, "other-epoch")[1] == "snapshot"
    assert hub.subscribe("b", 5, hub.epoch)[1] == "snapshot"  # 6 is overwritten
    assert hub.subscribe("c", 6, hub.epoch)[1] == "replay"
    assert hub.subscribe("d", None, hub.epoch)[1] == "snapshot"
    assert hub.subscribe("e", 11, hub.epoch)[1] == "snapshot"  # ids of a restart


def test_a_reader_a_whole_ring_behind_is_cut_off_and_counted():
    hub, state = make_hub(size=4)
    subscription, _ = hub.subscribe("slow", None, hub.epoch)
    for _ in range(7):
        hub.publish(b"x")
    assert hub.queue_depths() == {"slow": 7}
    assert hub.next_batch(subscription, 0) is None
    assert state.dropped == 3
    assert hub.queue_depths() == {}


def test_repairs_go_to_one_reader_first_and_are_bounded():
    hub, state = make_hub()
    target, _ = hub.subscribe("target", None, None)
    other, _ = hub.subscribe("other", None, None)
    hub.publish(b"rep")
    assert hub.send_repair("target", b"fix")
    assert hub.next_batch(target, 0) == [
        frame("REPAIR", b"fix", "0"),
        frame("REP", b"rep", "1"),
    ]
    assert hub.next_batch(other, 0) == [frame("REP", b"rep", "1")]
    assert not hub.send_repair("nobody", b"fix")
    for _ in range(REPAIR_QUEUE_LIMIT):
        assert hub.send_repair("target", b"fix")
    assert not hub.send_repair("target", b"fix")
    assert state.dropped == 2


def test_a_second_connection_of_a_member_replaces_the_first():
    hub, _ = make_hub()
    first, _ = hub.subscribe("peer", None, None)
    second, _ = hub.subscribe("peer", None, None)
    assert hub.next_batch(first, 0) is None
    hub.publish(b"x")
    assert hub.next_batch(second, 0) == [frame("REP", b"x", "1")]
    hub.unsubscribe(first)  # the old stream's clean-up leaves the new one alone
    assert hub.queue_depths() == {"peer": 0}


def test_stop_ends_every_stream():
    hub, _ = make_hub()
    subscription, _ = hub.subscribe("peer", None, None)
    hub.stop()
    assert hub.next_batch(subscription, 1) is None


def test_a_first_reader_replays_a_young_ring_and_snapshots_an_old_one():
    now = [0.0]
    hub = Hub(ReplicationState(), size=8, clock=lambda: now[0])
    hub.publish(b"x")
    assert hub.subscribe("a", None, "none")[1] == "replay"
    now[0] = FRESH_EPOCH + 1
    assert hub.subscribe("b", None, "none")[1] == "snapshot"
    assert hub.subscribe("c", 1, hub.epoch)[1] == "replay"  # a reader of ours: always
    assert hub.subscribe("d", None, SNAPSHOT)[1] == "snapshot"
