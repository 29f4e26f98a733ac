"""``registry_client`` against real registries (``runregistry`` subprocesses).

The heartbeat keeps an instance alive across a registry restart and re-registers
it after it expired; the discovery cache revalidates with ETags and survives the
registry going down.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from registry_client import (
    AuthenticationError,
    NoInstanceError,
    RegistryClient,
    RegistryUnavailableError,
    RequestRejectedError,
)
from tests.e2e.support import REPO_ROOT, RegistryServer, unique, wait_until

pytestmark = pytest.mark.e2e

SHORT_TTLS = ["--min_ttl", "1s", "--default_ttl", "2s", "--max_ttl", "30s"]


class Servers:
    """Registries of one module, each stopped by its pid at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[RegistryServer] = []

    def start(self, *flags: str, port: int | None = None) -> RegistryServer:
        log = self.tmp / f"registry-{len(self.started)}.log"
        server = RegistryServer(log, ["--log_level", "warning", *flags])
        if port is not None:  # a restart: the same address
            server.port, server.host = port, f"127.0.0.1:{port}"
        self.started.append(server)
        server.start()
        return server

    def close(self) -> None:
        for server in self.started:
            server.send_sigterm()
        for server in self.started:
            if server.process is not None and server.process.poll() is None:
                server.terminate()
            server.cleanup()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    started = Servers(tmp_path_factory.mktemp("client"))
    yield started
    started.close()


@pytest.fixture(scope="module")
def registry(servers: Servers) -> RegistryServer:
    return servers.start("--auth_mode", "trusted", *SHORT_TTLS)


def listed(server: RegistryServer, service: str, token: str) -> list[dict]:
    response = requests.get(
        server.url("/api/v1/instances"),
        params={"service_name": service},
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()["instances"]


def test_register_discover_pick_and_close(registry):
    service = unique()
    with RegistryClient(registry.url(""), token="team-a", cache_max_age=0) as client:
        for port, tags in ((1, ["v1"]), (2, ["v1", "canary"]), (3, ["v2"])):
            client.register(
                service, f"10.0.0.1:{port}", tags=tags, metadata={"p": port}
            )
        client.register(service, "10.0.0.1:4", status="STARTING")
        assert service in client.services()
        up = client.instances(service)
        assert sorted(i.endpoint for i in up) == [
            "10.0.0.1:1",
            "10.0.0.1:2",
            "10.0.0.1:3",
        ]
        assert len(client.instances(service, status=None)) == 4
        assert [i.endpoint for i in client.instances(service, tags=["canary"])] == [
            "10.0.0.1:2"
        ]
        assert {i.metadata["p"] for i in up} == {1, 2, 3}
        # Round robin: each UP instance once per round, in a stable order.
        first_round = [client.pick(service).endpoint for _ in range(3)]
        assert sorted(first_round) == ["10.0.0.1:1", "10.0.0.1:2", "10.0.0.1:3"]
        assert [client.pick(service).endpoint for _ in range(3)] == first_round
        assert {client.pick(service, tags=["v1"]).endpoint for _ in range(4)} == {
            "10.0.0.1:1",
            "10.0.0.1:2",
        }
        picked = {client.pick(service, strategy="random").endpoint for _ in range(40)}
        assert picked <= {"10.0.0.1:1", "10.0.0.1:2", "10.0.0.1:3"}
        with pytest.raises(NoInstanceError, match="with tags nope"):
            client.pick(service, tags=["nope"])
        # Another namespace sees none of it.
        assert listed(registry, service, "team-b") == []
    # Leaving the block deregistered every instance.
    assert listed(registry, service, "team-a") == []


def test_clear_errors(registry, servers):
    with pytest.raises(AuthenticationError) as missing:
        RegistryClient(registry.url("")).register(unique(), "h:1")
    assert missing.value.status == 401
    assert missing.value.text == "Missing request Authorization header"
    client = RegistryClient(registry.url(""), token="team-a")
    with pytest.raises(RequestRejectedError) as rejected:
        client.register("x" * 65, "h:1")
    assert rejected.value.status == 400
    assert rejected.value.text == "Service name exceeded 64 bytes"
    with pytest.raises(ValueError, match="endpoint_type"):
        client.register("svc", "h:1", endpoint_type="icmp")
    nowhere = RegistryClient("http://127.0.0.1:9", timeout=2)  # discard port: refused
    with pytest.raises(RegistryUnavailableError):
        nowhere.instances("svc")


def test_cache_revalidates_with_etags_and_survives_the_registry_going_down(servers):
    server = servers.start("--auth_mode", "trusted")
    service = unique()
    client = RegistryClient(server.url(""), token="ns", cache_max_age=0)
    registration = client.register(service, "10.1.0.1:80", ttl=30)
    first = client.snapshot(service)
    assert (first.last_status, len(first.instances)) == (200, 1)
    assert first.etag
    again = client.snapshot(service)
    assert again.last_status == 304  # nothing changed: not sent again
    assert again.instances == first.instances
    client.register(service, "10.1.0.2:80", ttl=30)
    assert len(client.snapshot(service).instances) == 2
    assert registration.id in {i.id for i in client.instances(service)}

    server.terminate()
    down = client.snapshot(service)
    assert down.stale
    assert len(client.instances(service)) == 2
    assert client.pick(service).endpoint in {"10.1.0.1:80", "10.1.0.2:80"}
    with pytest.raises(RegistryUnavailableError):
        RegistryClient(server.url(""), token="ns").instances(service)
    client.close()  # deregistering fails quietly: the registry is gone


def test_heartbeat_keeps_an_instance_across_a_registry_restart(servers):
    server = servers.start(*SHORT_TTLS)
    service = unique()
    client = RegistryClient(server.url(""))
    registration = client.register(service, "10.2.0.1:80", ttl=3)
    assert registration.heartbeat_interval == 1
    server.terminate()  # the in-memory store goes with it
    time.sleep(1.5)  # a heartbeat fails meanwhile
    restarted = servers.start(*SHORT_TTLS, port=server.port)
    assert wait_until(lambda: listed(restarted, service, "") != [], timeout=6)
    assert [i["id"] for i in listed(restarted, service, "")] == [registration.id]
    assert registration.reregistrations == 1
    # It stays: heartbeats renew it past several TTLs.
    time.sleep(4)
    assert [i["id"] for i in listed(restarted, service, "")] == [registration.id]
    assert registration.last_error is None
    client.close()
    assert listed(restarted, service, "") == []


def test_reregisters_after_expiry(registry):
    service = unique()
    client = RegistryClient(registry.url(""), token="team-a")
    # Heartbeats slower than the 1 s TTL: the instance expires between them.
    registration = client.register(service, "10.3.0.1:80", ttl=1, heartbeat_interval=3)
    assert wait_until(lambda: listed(registry, service, "team-a") == [], timeout=3)
    assert wait_until(lambda: registration.reregistrations >= 1, timeout=4)
    assert [i["id"] for i in listed(registry, service, "team-a")] == [registration.id]
    registration.close()
    assert listed(registry, service, "team-a") == []


def test_interpreter_exit_deregisters(registry):
    service = unique()
    script = textwrap.dedent(
        f"""
        from registry_client import RegistryClient
        client = RegistryClient({registry.url("")!r}, token="team-a")
        registration = client.register({service!r}, "10.4.0.1:80", ttl=30)
        print(registration.id)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert len(result.stdout.strip()) == 16
    assert listed(registry, service, "team-a") == []
