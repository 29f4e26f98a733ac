"""A replicated cluster whose nodes read one filesystem catalog (issues 8 and 11).

Spec §12.1: a source's instances are read-only and never replicated; each node
reads its own sources. Two nodes on loopback share a cluster directory and an
``--fs_catalog`` directory: both show the file's instances once, writes to them
get each API's "no such instance" on both, the nodes' own registrations
replicate, and a file entry removed from the file leaves both nodes (a copy that
had been replicated as an own instance would stay).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.support import RegistryServer, bearer, client_session, unique
from tests.replication.cluster_support import JSON, Cluster, register, wait_for

pytestmark = pytest.mark.e2e

LEGACY_DB_ID = "4f0fa0a781623530"  # spec §12.4's example
FILE = {
    "instances": [
        {
            "service_name": "legacy-db",
            "endpoint": {"type": "tcp", "value": "10.1.1.1:5432"},
            "tags": ["primary"],
            "metadata": {"owner": "dba"},
        },
        {
            "service_name": "legacy-web",
            "endpoint": {"type": "http", "value": "10.1.1.2:80"},
        },
    ]
}


def write(directory: Path, document: Any) -> None:
    scratch = directory / "default.tmp"
    scratch.write_text(json.dumps(document))
    scratch.replace(directory / "default.conf")


class Nodes:
    def __init__(self, root: Path) -> None:
        self.catalog_dir = root / "catalog"
        self.catalog_dir.mkdir()
        write(self.catalog_dir, FILE)
        self.directory = str(self.catalog_dir)
        self.cluster = Cluster(root)
        self.before = ""  # an own instance registered before the second joined


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    made = Nodes(tmp_path_factory.mktemp("cluster-catalogs"))
    try:
        first = made.cluster.start(sync_timeout="20s", fs_catalog=made.directory)
        with client_session() as http:  # the namespace is in use when one joins
            made.before = register(http, first, unique(), ttl=60)
        # The second joins: it takes the first's full state before it serves.
        made.cluster.start(sync_timeout="20s", fs_catalog=made.directory)
        yield made
    finally:
        made.cluster.stop_all()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with client_session() as session:
        session.headers.update(bearer("default"))  # trusted mode: the namespace
        yield session


def ids(http: requests.Session, node: RegistryServer) -> list[str]:
    response = http.get(node.url("/api/v1/instances?status=ALL"))
    assert response.status_code == 200, response.text
    return [i["id"] for i in response.json()["instances"]]


def eureka_ids(http: requests.Session, node: RegistryServer, app: str) -> list[str]:
    response = http.get(node.url(f"/eureka/v2/apps/{app}"), headers=JSON)
    assert response.status_code == 200, response.text
    return [i["instanceId"] for i in response.json()["application"]["instance"]]


def test_both_nodes_show_the_file_once(nodes: Nodes, http: requests.Session):
    for node in nodes.cluster.nodes:
        listed = ids(http, node)
        assert LEGACY_DB_ID in listed
        assert len(listed) == len(set(listed)), listed
        response = http.get(node.url("/api/v1/services/legacy-db"))
        assert response.status_code == 200
        (instance,) = response.json()["instances"]
        assert (instance["id"], instance["tags"]) == (
            LEGACY_DB_ID,
            ["primary", "filesystem"],
        )
        assert eureka_ids(http, node, "LEGACY-DB") == [LEGACY_DB_ID]
        assert nodes.before in listed
    assert "synchronised in" in nodes.cluster.nodes[1].log


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("put", "/api/v1/instances/{id}/heartbeat", 410),
        ("delete", "/api/v1/instances/{id}", 410),
        ("put", "/eureka/v2/apps/LEGACY-DB/{id}", 404),
        ("delete", "/eureka/v2/apps/LEGACY-DB/{id}", 404),
        ("put", "/eureka/v2/apps/LEGACY-DB/{id}/status?value=DOWN", 404),
    ],
)
def test_writes_to_a_file_instance_get_no_such_instance_on_every_node(
    nodes: Nodes, http: requests.Session, method: str, path: str, status: int
):
    for node in nodes.cluster.nodes:
        unknown = http.request(method, node.url(path.format(id="no-such-id")))
        response = http.request(method, node.url(path.format(id=LEGACY_DB_ID)))
        assert (response.status_code, response.content) == (status, unknown.content)
        assert unknown.status_code == status
    for node in nodes.cluster.nodes:
        still = http.get(node.url(f"/api/v1/instances/{LEGACY_DB_ID}"))
        assert still.status_code == 200
        assert still.json()["instance"]["status"] == "UP"


def test_own_registrations_replicate_beside_the_file(
    nodes: Nodes, http: requests.Session
):
    first, second = nodes.cluster.nodes
    service = unique()
    own = register(http, first, service, ttl=60)
    wait_for(lambda: own in ids(http, second))
    # The file's endpoint registered on the second node: one instance, the own
    # copy, on both nodes; deregistered, the file's copy is back on both.
    body = {
        "service_name": "legacy-web",
        "endpoint": {"type": "http", "value": "10.1.1.2:80"},
        "ttl": 60,
        "tags": ["registered"],
    }
    response = http.post(second.url("/api/v1/instances"), json=body)
    assert response.status_code == 201, response.text
    same = response.json()["id"]

    def tags_on(node: RegistryServer) -> list[list[str]]:
        response = http.get(node.url("/api/v1/services/legacy-web"))
        return [i["tags"] for i in response.json()["instances"]]

    for node in (second, first):
        wait_for(lambda node: tags_on(node) == [["registered"]], node)
        listed = ids(http, node)
        assert listed.count(same) == 1
        assert len(listed) == len(set(listed))
    assert http.delete(first.url(f"/api/v1/instances/{same}")).status_code == 200
    for node in (first, second):
        wait_for(lambda node: tags_on(node) == [["filesystem"]], node)
    assert http.delete(second.url(f"/api/v1/instances/{same}")).status_code == 410


def test_a_file_entry_removed_leaves_every_node(nodes: Nodes, http: requests.Session):
    write(nodes.catalog_dir, {"instances": FILE["instances"][1:]})
    try:
        for node in nodes.cluster.nodes:
            wait_for(lambda node: LEGACY_DB_ID not in ids(http, node), node, timeout=5)
            gone = http.get(node.url("/api/v1/services/legacy-db"))
            assert gone.status_code == 404
    finally:
        write(nodes.catalog_dir, FILE)
    for node in nodes.cluster.nodes:
        wait_for(lambda node: LEGACY_DB_ID in ids(http, node), node, timeout=5)
