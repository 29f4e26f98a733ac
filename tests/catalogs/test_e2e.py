"""End to end: a registry process reading all three sources, through both APIs.

The Kubernetes API is the fake of ``fakes.py``; the remote Eureka is a second
registry process (our own Eureka API), listed after a URL where nothing listens
(failover); the filesystem catalog is a directory the tests rewrite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.catalogs.fakes import FakeKubernetes, endpoints, pod, wait_for
from tests.e2e.support import RegistryServer, client_session, free_port

pytestmark = pytest.mark.e2e

HTTP_PORT = [{"name": "http", "port": 8080, "protocol": "TCP"}]
JSON = {"Accept": "application/json"}
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
            "service_name": "payments",
            "endpoint": {"type": "https", "value": "https://pay.example.com"},
            "status": "STARTING",
        },
        {"service_name": "no-endpoint"},
    ]
}


def eureka_instance(app: str, host: str, port: int = 8080) -> dict[str, Any]:
    return {
        "instance": {
            "instanceId": f"{host}:{app.lower()}:{port}",
            "hostName": host,
            "app": app,
            "ipAddr": host,
            "vipAddress": f"{app.lower()}-vip",
            "status": "UP",
            "port": {"$": port, "@enabled": "true"},
            "securePort": {"$": 443, "@enabled": "false"},
            "dataCenterInfo": {
                "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                "name": "MyOwn",
            },
            "leaseInfo": {"durationInSecs": 90, "renewalIntervalInSecs": 30},
            "metadata": {"amalgam8.tags": "remote"},
        }
    }


class Setup:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.catalog_dir = tmp / "catalog"
        self.catalog_dir.mkdir()
        self.write(FILE)
        self.fake = FakeKubernetes(token="k8s-token").start()
        self.fake.put("pods", "default", pod("web-1", "uid-1", {"app": "web"}))
        self.fake.put(
            "endpoints", "default", endpoints("web", [("10.0.0.1", "web-1")], HTTP_PORT)
        )
        self.servers: list[RegistryServer] = []
        self.remote = self.start(tmp / "remote", [])
        with client_session() as http:
            response = http.post(
                self.remote.url("/eureka/v2/apps/REMOTE"),
                json=eureka_instance("REMOTE", "10.2.0.1"),
            )
            assert response.status_code == 204, response.text
        dead = f"http://127.0.0.1:{free_port()}/eureka/v2"
        flags = [
            "--k8s_url", self.fake.url, "--k8s_token", "k8s-token",
            "--eureka_url", dead, "--eureka_url", self.remote.url("/eureka/v2/"),
            "--eureka_refresh", "300ms", "--fs_catalog", str(self.catalog_dir),
        ]  # fmt: skip
        self.registry = self.start(tmp / "registry", flags)

    def start(self, directory: Path, flags: list[str]) -> RegistryServer:
        directory.mkdir()
        server = RegistryServer(directory / "registry.log", flags)
        self.servers.append(server)
        return server.start()

    def write(self, document: Any, name: str = "default.conf") -> None:
        path = self.catalog_dir / name
        scratch = path.with_suffix(".tmp")
        scratch.write_text(
            json.dumps(document) if not isinstance(document, str) else document
        )
        scratch.replace(path)  # atomically, as a config management tool would

    def close(self) -> None:
        for server in self.servers:
            server.send_sigterm()
        for server in self.servers:
            try:
                server.stop()
            finally:
                server.cleanup()
        self.fake.stop()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    made = Setup(tmp_path_factory.mktemp("catalogs-e2e"))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with client_session() as session:
        yield session


def services(http: requests.Session, server: RegistryServer) -> list[str]:
    response = http.get(server.url("/api/v1/services"))
    assert response.status_code == 200
    names: list[str] = response.json()["services"]
    return names


@pytest.fixture
def synced(setup: Setup, http: requests.Session) -> Setup:
    """Every source has shown up in namespace ``default``."""
    wanted = {"web", "REMOTE", "legacy-db"}
    wait_for(lambda: wanted <= set(services(http, setup.registry)), timeout=10)
    return setup


def test_native_reads_merge_every_source(synced: Setup, http: requests.Session):
    registry = synced.registry
    own = http.post(
        registry.url("/api/v1/instances"),
        json={
            "service_name": "web",
            "endpoint": {"type": "http", "value": "10.9.0.1:80"},
        },
    )
    assert own.status_code == 201
    assert {"web", "REMOTE", "legacy-db", "payments"} <= set(services(http, registry))

    listed = http.get(registry.url("/api/v1/services/web")).json()["instances"]
    assert [i["id"] for i in listed] == [own.json()["id"], "uid-1-8080"]  # own first
    assert listed[1]["tags"] == ["app=web"]
    assert listed[1]["endpoint"] == {"type": "http", "value": "10.0.0.1:8080"}

    legacy = http.get(registry.url("/api/v1/services/legacy-db"))
    assert legacy.json() == {
        "service_name": "legacy-db",
        "instances": [
            {
                "id": LEGACY_DB_ID,
                "service_name": "legacy-db",
                "endpoint": {"type": "tcp", "value": "10.1.1.1:5432"},
                "status": "UP",
                "metadata": {"owner": "dba"},
                "last_heartbeat": "0001-01-01T00:00:00Z",
                "tags": ["primary", "filesystem"],
            }
        ],
    }
    everything = http.get(registry.url("/api/v1/instances")).json()["instances"]
    assert "payments" not in {i["service_name"] for i in everything}  # STARTING
    tagged = http.get(registry.url("/api/v1/instances?tags=filesystem")).json()
    assert {i["service_name"] for i in tagged["instances"]} == {"legacy-db", "payments"}
    remote = http.get(registry.url("/api/v1/instances?tags=remote")).json()
    assert [i["id"] for i in remote["instances"]] == ["REMOTE:10.2.0.1:remote:8080"]
    one = http.get(registry.url(f"/api/v1/instances/{LEGACY_DB_ID}"))
    assert one.status_code == 200
    assert one.json()["instance"]["service_name"] == "legacy-db"
    assert "entry 2 skipped" in registry.log  # the entry without an endpoint


def test_eureka_reads_show_every_source(synced: Setup, http: requests.Session):
    registry = synced.registry
    apps = http.get(registry.url("/eureka/v2/apps"), headers=JSON).json()
    names = {app["name"] for app in apps["applications"]["application"]}
    assert {"WEB", "REMOTE", "LEGACY-DB"} <= names
    app = http.get(registry.url("/eureka/v2/apps/REMOTE"), headers=JSON).json()
    [instance] = app["application"]["instance"]
    assert (instance["hostName"], instance["vipAddress"]) == ("10.2.0.1", "remote-vip")
    assert instance["port"] == {"$": 8080, "@enabled": "true"}
    vip = http.get(registry.url("/eureka/v2/vips/remote-vip"), headers=JSON).json()
    [matched] = vip["applications"]["application"]
    assert matched["name"] == "REMOTE"
    legacy = http.get(
        registry.url(f"/eureka/v2/apps/LEGACY-DB/{LEGACY_DB_ID}"), headers=JSON
    )
    assert legacy.status_code == 200
    shown = legacy.json()["instance"]
    assert (shown["hostName"], shown["port"]["$"]) == ("10.1.1.1", 5432)


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
def test_writes_to_a_source_instance_get_no_such_instance(
    synced: Setup, http: requests.Session, method: str, path: str, status: int
):
    registry = synced.registry
    unknown = http.request(method, registry.url(path.format(id="no-such-id")))
    response = http.request(method, registry.url(path.format(id=LEGACY_DB_ID)))
    assert (response.status_code, response.content) == (status, unknown.content)
    assert unknown.status_code == status
    still = http.get(registry.url(f"/api/v1/instances/{LEGACY_DB_ID}"))
    assert still.json()["instance"]["status"] == "UP"


def test_a_changed_file_shows_within_two_seconds(synced: Setup, http: requests.Session):
    registry = synced.registry
    url = registry.url("/api/v1/services/legacy-db")
    before = http.get(url)
    etag = before.headers["ETag"]
    eureka_before = http.get(registry.url("/eureka/v2/apps"), headers=JSON)
    filtered = registry.url("/api/v1/instances?tags=primary")
    [primary] = http.get(filtered).json()["instances"]  # the source keeps this answer
    assert primary["metadata"] == {"owner": "dba"}
    changed = json.loads(json.dumps(FILE))
    changed["instances"][0]["metadata"] = {"owner": "ops"}
    synced.write(changed)
    after = wait_for(
        lambda: (r := http.get(url)).headers["ETag"] != etag and r, timeout=2
    )
    assert after.json()["instances"][0]["metadata"] == {"owner": "ops"}
    [primary] = http.get(filtered).json()["instances"]  # a new snapshot, a new answer
    assert primary["metadata"] == {"owner": "ops"}
    assert http.get(url, headers={"If-None-Match": etag}).status_code == 200
    eureka_after = http.get(registry.url("/eureka/v2/apps"), headers=JSON)
    assert eureka_after.headers["ETag"] != eureka_before.headers["ETag"]
    delta = http.get(registry.url("/eureka/v2/apps/delta"), headers=JSON).json()
    changed_apps = {a["name"] for a in delta["applications"]["application"]}
    assert "LEGACY-DB" in changed_apps

    synced.write('{"instances": [\n  {"service_name": oops}\n]}')
    wait_for(lambda: "default.conf: line 2 column" in registry.log, timeout=3)
    kept = http.get(url).json()["instances"][0]
    assert kept["metadata"] == {"owner": "ops"}  # the last good content stays
    synced.write(FILE)
    wait_for(
        lambda: http.get(url).json()["instances"][0]["metadata"] == {"owner": "dba"}
    )


def test_kubernetes_changes_show_in_both_apis(synced: Setup, http: requests.Session):
    registry = synced.registry
    before = http.get(registry.url("/eureka/v2/apps"), headers=JSON).json()
    synced.fake.put(
        "endpoints", "default", endpoints("api", [("10.0.0.7", None)], HTTP_PORT)
    )
    wait_for(lambda: "api" in services(http, registry))
    after = http.get(registry.url("/eureka/v2/apps"), headers=JSON).json()
    # the Kubernetes instance has no status: the hash code gains its "_1_" entry
    hashcodes = [d["applications"]["apps__hashcode"] for d in (before, after)]
    assert hashcodes[0] != hashcodes[1]
    assert hashcodes[1].startswith("_1_")
    app = http.get(registry.url("/eureka/v2/apps/API"), headers=JSON)
    assert app.status_code == 200
    synced.fake.delete("endpoints", "default", "api")
    wait_for(lambda: "api" not in services(http, registry))
    assert (
        http.get(registry.url("/eureka/v2/apps/API"), headers=JSON).status_code == 404
    )


def test_remote_eureka_changes_arrive_through_deltas(
    synced: Setup, http: requests.Session
):
    registry, remote = synced.registry, synced.remote
    added = http.post(
        remote.url("/eureka/v2/apps/LATE"), json=eureka_instance("LATE", "10.2.0.2")
    )
    assert added.status_code == 204
    wait_for(lambda: "LATE" in services(http, registry), timeout=5)
    gone = http.delete(remote.url("/eureka/v2/apps/LATE/10.2.0.2:late:8080"))
    assert gone.status_code == 200
    wait_for(lambda: "LATE" not in services(http, registry), timeout=5)


def test_uptime_reports_every_source(synced: Setup, http: requests.Session):
    report = http.get(synced.registry.url("/uptime")).json()
    eureka = report["CATALOG_EUREKA"]
    assert eureka["healthy"] is True
    assert eureka["properties"]["synced"] is True
    assert eureka["properties"]["urls"][0].startswith("http://127.0.0.1:")
    k8s = report["CATALOG_KUBERNETES"]["properties"]["namespaces"]["default"]
    assert k8s["synced"] is True
    assert k8s["instances"] >= 1
    files = report["CATALOG_FILESYSTEM"]["properties"]["namespaces"]["default"]
    assert files["synced"] is True
    assert files["last_success"].endswith("Z")
