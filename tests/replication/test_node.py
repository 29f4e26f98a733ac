"""The wrapper and the applier of one node, without the network: what a local
write publishes, and how each received message is applied (spec §10.4)."""

from __future__ import annotations

import dataclasses
import gc

import orjson
import pytest

from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime
from registry.store.clock import ManualClock
from registry.store.errors import InstanceNotFoundError
from registry.store.memory import InMemoryCatalog
from registry.store.records import ChangeKind, Endpoint, InstanceRegistration
from replication.node import ReplicationNode, collector_paused
from replication.plugin import ReplicationPlugin
from replication.wire import (
    Message,
    RepType,
    SseParser,
    instance_json,
    parse_event_data,
    parse_instance,
    status_payload,
)

PEER = "10.0.0.9:6100"


@pytest.fixture
def runtime(clock: ManualClock) -> RegistryRuntime:
    config = dataclasses.replace(RegistryConfig(), replication=True, min_ttl=5)
    return RegistryRuntime(config, clock, plugins=[ReplicationPlugin()])


@pytest.fixture
def node(runtime: RegistryRuntime) -> ReplicationNode:
    plugin = runtime.plugins[0]
    assert isinstance(plugin, ReplicationPlugin)
    assert plugin.node is not None
    return plugin.node


def registration(**changes) -> InstanceRegistration:
    fields = {
        "id": "i-1",
        "service_name": "reviews",
        "endpoint": Endpoint("http", "10.0.0.5:9080"),
        "status": "UP",
        "ttl": 30,
    }
    fields.update(changes)
    return InstanceRegistration(**fields)  # type: ignore[arg-type]


def published(node: ReplicationNode) -> list[Message]:
    subscription, _ = node.hub.subscribe("reader", 0, node.hub.epoch)
    frames = node.hub.next_batch(subscription, 0) or []
    node.hub.unsubscribe(subscription)
    events = SseParser().feed(b"".join(frames))
    return [parse_event_data(event.data) for event in events]


def test_every_local_write_is_published_once(runtime, node):
    catalog = runtime.catalogs.get("ns")
    record = catalog.register(registration())
    catalog.renew(record.id)
    updated = catalog.set_status(record.id, "OUT_OF_SERVICE")
    catalog.deregister(record.id)
    with pytest.raises(InstanceNotFoundError):
        catalog.renew(record.id)  # a failed write publishes nothing
    messages = published(node)
    assert [m.kind for m in messages] == [
        RepType.REGISTER,
        RepType.RENEW,
        RepType.REGISTER,
        RepType.DEREGISTER,
    ]
    assert {m.namespace for m in messages} == {"ns"}
    assert messages[1].payload == b"i-1"
    assert parse_instance(messages[2].payload).registration.status == "OUT_OF_SERVICE"
    assert messages[2].payload == instance_json(updated)


def test_received_writes_are_applied_not_published(runtime, node, clock):
    origin = dataclasses.replace(registration(ttl=1), metadata=b'{"a":1}')
    stored = InMemoryCatalog(ManualClock(clock.now_ns() - 10**9)).register(origin)
    node.applier.apply(Message("ns", RepType.REGISTER, instance_json(stored)), PEER)
    copy = runtime.catalogs.get("ns").get_instance("i-1")
    assert copy.registration_ns == stored.registration_ns
    assert copy.last_renewal_ns == clock.now_ns()
    assert copy.ttl == 5  # clamped with this node's min_ttl
    assert copy.metadata == b'{"a":1}'
    status = status_payload("i-1", "DOWN")
    node.applier.apply(Message("ns", RepType.SETSTATUS, status), PEER)
    assert runtime.catalogs.get("ns").get_instance("i-1").status == "DOWN"
    node.applier.apply(Message("ns", RepType.DEREGISTER, b"i-1"), PEER)
    node.applier.apply(Message("ns", RepType.DEREGISTER, b"i-1"), PEER)  # fine
    kinds = [c.kind for c in runtime.catalogs.get("ns").recent_changes()]
    assert kinds == [ChangeKind.REGISTERED, ChangeKind.UPDATED, ChangeKind.REMOVED]
    assert node.hub.head == 0
    assert node.state.rejected == 0


def test_a_renewal_of_an_unknown_id_asks_the_origin(node):
    subscription, _ = node.hub.subscribe(PEER, None, None)
    node.applier.apply(Message("ns", RepType.RENEW, b"ghost"), PEER)
    (frame,) = node.hub.next_batch(subscription, 0) or []
    (event,) = SseParser().feed(frame)
    assert (event.id, event.event) == ("0", "REPAIR")
    assert parse_event_data(event.data) == Message("ns", RepType.READREPAIR, b"ghost")


def test_a_read_repair_request_is_answered_with_the_instance(runtime, node):
    record = runtime.catalogs.get("ns").register(registration())
    subscription, _ = node.hub.subscribe(PEER, None, None)
    node.applier.apply(Message("ns", RepType.READREPAIR, b"i-1"), PEER)
    node.applier.apply(Message("ns", RepType.READREPAIR, b"unknown"), PEER)
    frames = node.hub.next_batch(subscription, 0) or []
    (event,) = SseParser().feed(b"".join(frames))
    assert event.event == "REPAIR"
    answer = parse_event_data(event.data)
    assert (answer.kind, answer.payload) == (RepType.REGISTER, instance_json(record))


def test_bad_messages_are_counted_and_change_nothing(runtime, node, caplog):
    assert not node.applier.apply(Message("ns", RepType.REGISTER, b"{}"), PEER)
    too_long = instance_json(
        InMemoryCatalog(ManualClock()).register(registration())
    ).replace(b'"UP"', b'"' + b"X" * 40 + b'"')
    assert not node.applier.apply(Message("ns", RepType.REGISTER, too_long), PEER)
    assert not node.applier.apply(Message("ns", RepType.RENEW, b"\xff"), PEER)
    assert node.state.rejected == 3
    assert runtime.catalogs.get("ns").list_instances() == []
    assert "replicated REGISTER from 10.0.0.9:6100 in namespace 'ns' rejected" in (
        caplog.text
    )


def test_received_writes_reach_the_catalog_the_runtime_serves(runtime, node, clock):
    # Two requests may build a namespace at once: the wrapper that lost the race
    # (made last, here) must not receive the replicated writes.
    served = runtime.catalogs.get("ns")
    node.wrap("ns", InMemoryCatalog(clock))
    record = InMemoryCatalog(clock).register(registration())
    node.applier.apply(Message("ns", RepType.REGISTER, instance_json(record)), PEER)
    assert node.wrapper("ns") is served
    assert served.get_instance("i-1").registration_ns == record.registration_ns


def test_a_full_state_removes_only_what_its_sender_last_wrote(runtime, node, clock):
    record = InMemoryCatalog(clock).register(registration())
    other = InMemoryCatalog(clock).register(registration(id="i-2"))
    node.applier.apply(Message("ns", RepType.REGISTER, instance_json(record)), PEER)
    node.applier.apply(
        Message("ns", RepType.REGISTER, instance_json(other)), "10.0.0.8:6100"
    )
    mine = runtime.catalogs.get("ns").register(registration(id="i-3"))
    node.applier.begin_full_state(PEER)
    assert node.applier.end_full_state(PEER) == 1  # PEER no longer holds i-1
    held = {i.id for i in runtime.catalogs.get("ns").list_instances()}
    assert held == {"i-2", mine.id}
    assert node.state.reconciled == 1
    assert node.applier.end_full_state(PEER) == 0  # no full state under way


def test_origins_of_expired_instances_are_forgotten(runtime, node, clock):
    runtime.catalogs.get("ns").register(registration(ttl=5))
    assert len(node.origins) == 1
    clock.advance(6)
    runtime.expire()
    assert node.origins.prune(node._holds) == 1
    assert len(node.origins) == 0


def test_a_snapshot_applies_its_good_instances_and_counts_the_bad(runtime, node):
    good = InMemoryCatalog(ManualClock()).register(registration())
    bad = dict(orjson.loads(instance_json(good)), ID=7)
    data = orjson.dumps(
        {"Namespace": "ns", "Instances": [bad, orjson.loads(instance_json(good))]}
    )
    assert node.applier.apply_snapshot(data, PEER) == 1
    assert runtime.catalogs.get("ns").get_instance("i-1").id == "i-1"
    assert node.state.rejected == 1
    assert node.applier.apply_snapshot(b"{", PEER) == 0
    assert node.state.rejected == 2


def test_the_collector_is_paused_only_while_a_joining_node_syncs():
    assert gc.isenabled()
    try:
        with collector_paused():
            assert not gc.isenabled()
            made_meanwhile = [[n] for n in range(100)]
        assert gc.isenabled()
        assert gc.get_freeze_count() > len(made_meanwhile)  # never scanned again
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("a failed sync")
        assert gc.isenabled()
        gc.disable()  # an application that runs without it keeps it off
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
