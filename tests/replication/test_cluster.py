"""A real cluster: ``runregistry`` processes on loopback sharing one cluster directory.

Three nodes live for the module; the scenarios that start, kill or freeze a node
use one more of their own. Every process is stopped by its pid (SIGKILL and
SIGSTOP go to the node's own worker and main process only).
"""

from __future__ import annotations

import base64
import http.client as http_client
import json
import os
import re
import signal
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from tests.e2e.support import (
    bearer,
    client_session,
    free_port,
    run_registry_command,
    unique,
)
from tests.eureka.helpers import eureka_instance
from tests.replication.cluster_support import (
    JSON,
    Cluster,
    eureka_app,
    instances,
    kill_9,
    register,
    wait_for,
    worker_pid,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    made = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        for _ in range(3):
            made.start(sync_timeout="20s")
        yield made
    finally:
        made.stop_all()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with client_session() as session:
        session.headers.update(bearer("default"))  # trusted mode: the namespace
        yield session


def test_the_first_node_serves_at_once(cluster):
    first = cluster.nodes[0]
    assert "no live cluster member: serving at once" in first.log
    assert first.startup_seconds < 10  # sync_timeout is 20s: it did not wait
    assert "synchronised in" in cluster.nodes[1].log


def test_native_writes_reach_every_node(cluster, http):
    n1, n2, n3 = cluster.nodes[:3]
    service = unique()
    instance_id = register(http, n1, service, ttl=60, tags=["v1"], metadata={"a": 1})
    for node in (n2, n3):
        (copy,) = wait_for(lambda node: instances(http, node, service), node)
        assert (copy["id"], copy["tags"], copy["metadata"]) == (
            instance_id,
            ["v1"],
            {"a": 1},
        )
    before = {
        node.port: instances(http, node, service)[0]["last_heartbeat"]
        for node in (n1, n3)
    }
    assert (
        http.put(n2.url(f"/api/v1/instances/{instance_id}/heartbeat")).status_code
        == 200
    )
    for node in (n1, n3):
        wait_for(
            lambda node: (
                instances(http, node, service)[0]["last_heartbeat"] > before[node.port]
            ),
            node,
        )
    assert http.delete(n3.url(f"/api/v1/instances/{instance_id}")).status_code == 200
    for node in (n1, n2):
        wait_for(lambda node: not instances(http, node, service), node)


def test_eureka_writes_reach_every_node(cluster, http):
    n1, n2, n3 = cluster.nodes[:3]
    app = unique("APP").upper()
    body = eureka_instance(app, "10.1.1.1")
    iid = body["instance"]["instanceId"]
    base = f"/eureka/v2/apps/{app}/{iid}"
    assert http.post(n1.url(f"/eureka/v2/apps/{app}"), json=body).status_code == 204
    wait_for(lambda: eureka_app(http, n3, app))
    assert http.put(n2.url(f"{base}/status?value=OUT_OF_SERVICE")).status_code == 200
    for node in (n1, n3):
        seen = wait_for(
            lambda node: (
                (e := eureka_app(http, node, app))
                and e["status"] == "OUT_OF_SERVICE"
                and e
            ),
            node,
        )
        assert seen["overriddenstatus"] == "OUT_OF_SERVICE"
    assert http.put(n3.url(f"{base}/metadata?zone=z1")).status_code == 200
    wait_for(
        lambda: (
            (eureka_app(http, n1, app) or {}).get("metadata", {}).get("zone") == "z1"
        )
    )
    assert http.delete(n1.url(f"{base}/status")).status_code == 200
    for node in (n2, n3):
        wait_for(
            lambda node: (
                (eureka_app(http, node, app) or {}).get("overriddenstatus") == "UNKNOWN"
            ),
            node,
        )
    assert http.put(n2.url(base)).status_code in (200, 404)  # UNKNOWN: re-register
    documents = [eureka_app(http, node, app) or {} for node in (n1, n2, n3)]
    for key in ("status", "overriddenstatus", "metadata", "lastDirtyTimestamp"):
        assert len({repr(document[key]) for document in documents}) == 1, key
    registered = {
        document["leaseInfo"]["registrationTimestamp"] for document in documents
    }
    assert len(registered) == 1
    deltas = [
        http.get(node.url("/eureka/v2/apps/delta"), headers=JSON).json()
        for node in (n1, n2, n3)
    ]
    actions = [
        sorted(
            i["actionType"]
            for a in delta["applications"]["application"]
            if a["name"] == app
            for i in a["instance"]
        )
        for delta in deltas
    ]
    assert actions[0], actions
    assert actions.count(actions[0]) == 3, actions
    assert http.delete(n3.url(base)).status_code == 200
    for node in (n1, n2):
        wait_for(lambda node: eureka_app(http, node, app) is None, node)


def test_namespaces_stay_apart(cluster, http):
    n1, n2, _ = cluster.nodes[:3]
    service = unique()
    register(http, n1, service, namespace="tenant-a")
    wait_for(lambda: instances(http, n2, service, "tenant-a"))
    assert instances(http, n2, service, "tenant-b") == []
    assert instances(http, n2, service) == []


def test_expiry_happens_on_every_node(cluster, http):
    service = unique()
    register(http, cluster.nodes[0], service, ttl=1)
    for node in cluster.nodes[:3]:
        wait_for(lambda node: instances(http, node, service), node)
    for node in cluster.nodes[:3]:
        wait_for(lambda node: instances(http, node, service) == [], node, timeout=5)


def test_uptime_shows_the_cluster(cluster, http):
    for node in cluster.nodes[:3]:
        report = wait_for(
            lambda node: (
                (r := http.get(node.url("/uptime")).json())
                and r["REPLICATION"]["properties"]["connected"] == 2
                and r
            ),
            node,
        )
        assert report["CLUSTER"] == {
            "healthy": True,
            "properties": {"size": 3, "threshold": 3},
        }
        assert report["REPLICATION"]["healthy"] is True
        assert report["REPLICATION"]["properties"]["peers"] == 2


def test_a_new_node_has_the_full_state_before_it_serves(cluster, http):
    service = unique()
    ids = {
        register(http, cluster.nodes[n % 3], service, value=f"10.2.0.{n}:80")
        for n in range(60)
    }
    for node in cluster.nodes[:3]:
        wait_for(lambda node: len(instances(http, node, service)) == 60, node)
    # gunicorn this time: the other supported process model; start() returns at
    # the first answer of "/", which the worker gives only after its sync.
    late = cluster.start(sync_timeout="20s", server="gunicorn")
    try:
        assert {i["id"] for i in instances(http, late, service)} == ids
        register(http, late, service, value="10.2.1.1:80")
        wait_for(lambda: len(instances(http, cluster.nodes[0], service)) == 61)
    finally:
        late.stop()
        cluster.nodes.remove(late)


def test_a_killed_node_restarts_and_catches_up(cluster, http):
    victim = cluster.start(sync_timeout="20s")
    n1, n2 = cluster.nodes[:2]
    service = unique()
    register(http, n1, service, value="10.3.0.1:80")
    wait_for(lambda: instances(http, victim, service))
    kill_9(victim)
    cluster.nodes.remove(victim)
    missed = register(http, n2, service, value="10.3.0.2:80")  # others keep serving
    assert len(instances(http, n1, service)) == 2 or wait_for(
        lambda: len(instances(http, n1, service)) == 2
    )
    again = cluster.start(replication_port=victim.replication_port, sync_timeout="20s")
    try:
        assert missed in {i["id"] for i in instances(http, again, service)}
        assert len(instances(http, again, service)) == 2
        written_after = register(http, again, service, value="10.3.0.3:80")
        wait_for(
            lambda: written_after in {i["id"] for i in instances(http, n1, service)}
        )
    finally:
        again.stop()
        cluster.nodes.remove(again)


def test_a_frozen_node_converges_after_it_resumes(cluster, http):
    frozen = cluster.start(sync_timeout="20s")
    n1 = cluster.nodes[0]
    service = unique()
    gone = register(http, n1, service, value="10.4.0.1:80")
    wait_for(lambda: instances(http, frozen, service))
    pid = worker_pid(frozen)
    os.kill(pid, signal.SIGSTOP)
    try:
        added = {register(http, n1, service, value=f"10.4.1.{n}:80") for n in range(20)}
        assert http.delete(n1.url(f"/api/v1/instances/{gone}")).status_code == 200
        time.sleep(1.5)  # the node stays frozen while the writes go out
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        wait_for(lambda: {i["id"] for i in instances(http, frozen, service)} == added)
    finally:
        frozen.stop()
        cluster.nodes.remove(frozen)


def test_a_taken_replication_port_stops_start_up_with_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_registry_command(
            [
                "--api_host=127.0.0.1",
                f"--api_port={free_port()}",
                "--replication",
                "--replication_host=127.0.0.1",
                f"--replication_port={port}",
                f"--cluster_dir={tmp_path / 'cluster'}",
            ],
            timeout=30,
        )
    assert result.returncode != 0
    assert (
        f"replication cannot start: cannot listen on 127.0.0.1:{port}: "
        "Address already in use" in result.stderr
    )
    assert not (tmp_path / "cluster" / f"127.0.0.1:{port}").exists()


def test_a_real_nodes_stream_carries_the_spec_bytes(cluster, http):
    """A reader of the original's protocol (no X-A8-Stream) on a running node."""
    node = cluster.nodes[0]
    instance_id = register(http, node, unique(), ttl=60)
    connection = http_client.HTTPConnection(
        "127.0.0.1", node.replication_port, timeout=5
    )
    try:
        connection.request(
            "GET", "/v1/replication", headers={"Member-ID": "10.9.9.9:6100"}
        )
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream"
        assert response.getheader("X-A8-Stream") is None
        assert http.put(node.url(f"/api/v1/instances/{instance_id}/heartbeat")).ok
        body = b""
        rep = re.compile(rb"id: \d+\nevent: REP\ndata: [^\n]*\n\n")
        while rep.search(body) is None:
            body += response.read1(65536)
    finally:
        connection.close()
    match = rep.search(body)
    assert match is not None
    frame = match.group()
    inner = json.dumps(
        {"RepType": 2, "Payload": base64.b64encode(instance_id.encode()).decode()},
        separators=(",", ":"),
    ).encode()
    data = json.dumps(
        {"Namespace": "default", "Data": base64.b64encode(inner).decode()},
        separators=(",", ":"),
    ).encode()
    assert re.fullmatch(
        rb"id: \d+\nevent: REP\ndata: " + re.escape(data) + rb"\n\n", frame
    )
