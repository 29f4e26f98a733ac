"""Nodes in this process, talking over real loopback HTTP: the listener, the peer
streams, replay after a dropped stream, read-repair, and a peer that speaks only
the original's protocol (a stand-in server that writes the spec's bytes)."""

from __future__ import annotations

import dataclasses
import gzip
import http.client
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from eureka_compat.rules import EurekaPlugin
from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime
from registry.store.errors import InstanceNotFoundError
from registry.store.records import Endpoint, InstanceRegistration
from replication import hub, peers
from replication.members import member_file_content
from replication.node import ReplicationNode
from replication.plugin import ReplicationPlugin
from replication.wire import (
    Message,
    RepType,
    SseParser,
    instance_json,
    parse_event_data,
    parse_instance,
)
from tests.e2e.support import free_port
from tests.replication.test_wire import SPEC_INSTANCE, SPEC_RENEW_EVENT

SPEC_ID = "26634d9e31ce714e"


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def node_of(runtime: RegistryRuntime) -> ReplicationNode:
    plugin = runtime.plugins[-1]
    assert isinstance(plugin, ReplicationPlugin)
    assert plugin.node is not None
    return plugin.node


@pytest.fixture
def make_node(tmp_path: Path) -> Iterator[Callable[..., RegistryRuntime]]:
    started: list[RegistryRuntime] = []

    def make(**overrides) -> RegistryRuntime:
        config = dataclasses.replace(
            RegistryConfig(),
            replication=True,
            replication_host="127.0.0.1",
            replication_port=free_port(),
            cluster_dir=str(tmp_path / "cluster"),
            sync_timeout=5.0,
            **overrides,
        )
        runtime = RegistryRuntime(config, plugins=[EurekaPlugin(), ReplicationPlugin()])
        runtime.start()
        started.append(runtime)
        return runtime

    yield make
    for runtime in reversed(started):
        runtime.stop()


def registration(value: str = "10.0.0.5:9080", **changes) -> InstanceRegistration:
    fields: dict[str, Any] = {
        "id": f"id-{value}",
        "service_name": "reviews",
        "endpoint": Endpoint("http", value),
        "status": "UP",
        "ttl": 30,
    }
    fields.update(changes)
    return InstanceRegistration(**fields)


def has(runtime: RegistryRuntime, instance_id: str, namespace: str = "default"):
    try:
        return runtime.catalogs.get(namespace).get_instance(instance_id)
    except InstanceNotFoundError:
        return None


def test_every_write_verb_reaches_the_peer(make_node):
    a, b = make_node(), make_node()
    wait_for(lambda: node_of(a).state.peers and node_of(b).state.peers)
    wait_for(lambda: all(p.connected for p in node_of(a).state.peers.values()))
    catalog = b.catalogs.get("tenant")
    record = catalog.register(registration())
    wait_for(lambda: has(a, record.id, "tenant"))
    copy = has(a, record.id, "tenant")
    assert (copy.registration_ns, copy.service_name) == (
        record.registration_ns,
        "reviews",
    )
    catalog.set_status(record.id, "OUT_OF_SERVICE")
    wait_for(lambda: has(a, record.id, "tenant").status == "OUT_OF_SERVICE")
    before = has(a, record.id, "tenant").last_renewal_ns
    catalog.renew(record.id)
    wait_for(lambda: has(a, record.id, "tenant").last_renewal_ns > before)
    catalog.deregister(record.id)
    wait_for(lambda: has(a, record.id, "tenant") is None)
    assert has(a, record.id) is None  # namespaces stay apart
    assert node_of(a).hub.head == 0  # received writes are never published again


def test_a_dropped_stream_is_replayed_with_nothing_lost(make_node, monkeypatch):
    monkeypatch.setattr(peers, "FIRST_RETRY", 0.5)  # writes land while it is down
    a, b = make_node(), make_node()
    node_a = node_of(a)
    wait_for(lambda: node_a.hub.queue_depths())
    (reader,) = node_a.hub.queue_depths()
    node_a.hub.disconnect(reader)
    catalog = a.catalogs.get("default")
    ids = [catalog.register(registration(f"10.0.1.{n}:80")).id for n in range(50)]
    wait_for(lambda: all(has(b, instance_id) for instance_id in ids))
    assert node_a.state.replayed >= 50
    assert node_a.state.snapshots_served == 1  # the first connection only


def test_a_deregistration_missed_beyond_the_ring_is_reconciled(make_node, monkeypatch):
    monkeypatch.setattr(peers, "FIRST_RETRY", 0.5)  # writes land while it is down
    monkeypatch.setattr(hub, "RING_SIZE", 8)
    a, b = make_node(), make_node()
    node_a = node_of(a)
    catalog = a.catalogs.get("default")
    gone = catalog.register(registration("10.0.5.1:80"))
    kept_on_b = node_of(b).wrapper("default").register(registration("10.0.5.2:80"))
    wait_for(lambda: has(b, gone.id) and has(a, kept_on_b.id))
    (reader,) = node_a.hub.queue_depths()
    node_a.hub.disconnect(reader)
    catalog.deregister(gone.id)
    for n in range(20):  # more than the ring holds: no replay possible
        catalog.renew(catalog.register(registration(f"10.0.6.{n}:80")).id)
    wait_for(lambda: has(b, gone.id) is None)
    assert all(has(b, f"id-10.0.6.{n}:80") for n in range(20))
    assert has(b, kept_on_b.id) is not None  # b's own instance stays
    assert node_a.state.snapshots_served == 2
    assert node_of(b).state.reconciled == 1


def test_a_renewal_of_an_unknown_instance_is_read_repaired(make_node):
    a, b = make_node(), make_node()
    wait_for(lambda: node_of(a).hub.queue_depths() and node_of(b).hub.queue_depths())
    wrapper = node_of(a).wrapper("default")
    hidden = wrapper.inner.register(registration())  # bypasses replication
    assert has(b, hidden.id) is None
    wrapper.renew(hidden.id)
    wait_for(lambda: has(b, hidden.id))
    assert has(b, hidden.id).registration_ns == hidden.registration_ns


def test_a_joining_node_has_the_full_state_before_start_returns(make_node):
    a = make_node()
    catalog = a.catalogs.get("default")
    ids = [catalog.register(registration(f"10.0.2.{n}:80")).id for n in range(200)]
    b = make_node()  # start() returned: b may serve
    assert all(has(b, instance_id) for instance_id in ids)


def test_the_listener_checks_member_id_as_the_original(make_node):
    a = make_node()
    node = node_of(a)
    port = a.config.replication_port
    for headers, text in [
        ({}, b"Missing header Member-ID\n"),
        ({"Member-ID": node.state.member_id}, b"Wrong Member-ID\n"),
    ]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/v1/replication", headers=headers)
        response = connection.getresponse()
        assert (response.status, response.read()) == (400, text)
        assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
        connection.close()


def read_stream(port: int, path: str, headers: dict[str, str], until: bytes) -> tuple:
    """Read ``path`` until ``until`` arrives (or, with ``until=b""``, to the end)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers={"Member-ID": "10.9.9.9:1", **headers})
    response = connection.getresponse()
    if not until:
        body = response.read()
    else:
        body = b""
        while until not in body:
            chunk = response.read1(65536)
            if not chunk:
                break
            body += chunk
    connection.close()
    return response, body


def test_sync_streams_every_instance_and_ends_gzip_when_asked(make_node):
    a = make_node()
    catalog = a.catalogs.get("default")
    catalog.register(registration("10.0.3.1:80"))
    catalog.register(registration("10.0.3.2:80"))
    response, body = read_stream(
        a.config.replication_port, "/v1/sync", {"Accept-Encoding": "gzip"}, b""
    )
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
    assert response.getheader("Cache-Control") == "no-cache"
    assert response.getheader("Content-Encoding") == "gzip"
    events = SseParser().feed(gzip.decompress(body))
    assert [(e.id, e.event) for e in events] == [("0", "SYNC"), ("1", "SYNC")]
    held = {record.id: record for record in catalog.list_instances()}
    for event in events:  # each a REGISTER of one instance, as the spec says
        message = parse_event_data(event.data)
        record = held[parse_instance(message.payload).registration.id]
        assert message == Message("default", RepType.REGISTER, instance_json(record))


def test_a_live_stream_for_an_original_reader_has_no_snapshot(make_node):
    a = make_node()
    catalog = a.catalogs.get("default")
    catalog.register(registration("10.0.4.1:80"))  # before: not sent
    timer = threading.Timer(0.2, catalog.renew, (registration("10.0.4.1:80").id,))
    timer.start()
    response, body = read_stream(
        a.config.replication_port, "/v1/replication", {}, b"\n\n"
    )
    timer.join()
    assert response.getheader("X-A8-Stream") is None
    (event,) = SseParser().feed(body)
    assert (event.id, event.event) == ("2", "REP")


class OriginalPeer(BaseHTTPRequestHandler):
    """Answers as the original does: no replay header; the spec's bytes."""

    protocol_version = "HTTP/1.0"
    seen: list[dict[str, str]] = []
    #: What ``/v1/replication`` sends once connected.
    stream = SPEC_RENEW_EVENT

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        OriginalPeer.seen.append({"path": self.path, **dict(self.headers)})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if self.path == "/v1/sync":
            from replication.wire import Message, RepType, event_data, frame

            data = event_data(Message("default", RepType.REGISTER, SPEC_INSTANCE))
            self.wfile.write(frame("SYNC", data, "0"))
            return
        time.sleep(0.3)
        self.wfile.write(self.stream)
        self.wfile.flush()
        time.sleep(1)


@pytest.fixture
def original_peer(tmp_path: Path) -> Iterator[int]:
    """A stand-in for a node of the original, listed in the cluster directory."""
    OriginalPeer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), OriginalPeer)
    server.daemon_threads = True
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cluster = tmp_path / "cluster"
    cluster.mkdir()
    (cluster / f"127.0.0.1:{port}").write_bytes(
        member_file_content("127.0.0.1", port, time.time_ns())
    )
    yield port
    server.shutdown()
    server.server_close()


def test_bad_events_are_counted_and_skipped_and_the_stream_goes_on(
    make_node, original_peer, monkeypatch, caplog
):
    bad = [
        b"event: REP\ndata: {not json\n\n",
        b'id: 9\nevent: REP\ndata: {"Namespace":"default","Data":"eyJSZXBUeXBlIjo5fQ=="}\n\n',
        b"event: WHAT\ndata: x\n\n",
    ]
    monkeypatch.setattr(OriginalPeer, "stream", b"".join(bad) + SPEC_RENEW_EVENT)
    b = make_node()
    first = has(b, SPEC_ID).last_renewal_ns
    wait_for(lambda: has(b, SPEC_ID).last_renewal_ns > first)  # the good one after
    assert node_of(b).state.rejected == 2
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "bad event: event data is not JSON" in messages
    assert "unknown RepType 9" in messages
    assert "unknown event 'WHAT' ignored" in messages


def test_a_node_syncs_from_and_follows_a_peer_of_the_original(make_node, original_peer):
    b = make_node()
    synced = has(b, SPEC_ID)
    assert synced is not None
    assert synced.metadata == b'{"version":"v1"}'
    first = synced.last_renewal_ns
    wait_for(lambda: has(b, SPEC_ID).last_renewal_ns > first)  # the REP RENEW
    request = next(
        seen for seen in OriginalPeer.seen if seen["path"] == "/v1/replication"
    )
    assert request["Member-ID"] == node_of(b).state.member_id
    assert request["Accept"] == "text/event-stream"
    assert request["Cache-Control"] == "no-cache"
