"""The catalogs on the Redis store: every worker process runs its own sources.

Two worker processes share one Redis; each reads the catalog directory, the fake
Kubernetes API and a remote Eureka (a second registry process, in memory)
itself. Source instances are never written to Redis.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.catalogs.fakes import FakeKubernetes, endpoints, wait_for
from tests.catalogs.test_e2e import eureka_instance
from tests.e2e.support import RegistryServer, client_session
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

ENTRY: dict[str, Any] = {
    "service_name": "legacy",
    "endpoint": {"type": "tcp", "value": "10.1.1.1:1"},
}
PORTS = [{"name": "http", "port": 80, "protocol": "TCP"}]


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.catalog = tmp / "catalog"
        self.catalog.mkdir()
        self.write([ENTRY])
        self.redis = RedisServer().start()
        self.fake = FakeKubernetes().start()
        self.fake.put(
            "endpoints", "default", endpoints("web", [("10.0.0.1", None)], PORTS)
        )
        self.remote = RegistryServer(tmp / "remote.log", [])
        flags = [
            "--store", "redis", "--store_address", self.redis.address,
            "--workers", "2", "--k8s_url", self.fake.url,
            "--fs_catalog", str(self.catalog),
            "--eureka_url", self.remote.url("/eureka/v2"),
            "--eureka_refresh", "300ms",
        ]  # fmt: skip
        self.registry = RegistryServer(tmp / "registry.log", flags)

    def write(self, entries: list[dict[str, Any]]) -> None:
        scratch = self.catalog / "default.tmp"
        scratch.write_text(json.dumps({"instances": entries}))
        scratch.replace(self.catalog / "default.conf")

    def close(self) -> None:
        try:
            self.registry.stop()
            self.remote.stop()
        finally:
            self.registry.cleanup()
            self.remote.cleanup()
            self.fake.stop()
            self.redis.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    made = Stack(tmp_path_factory.mktemp("catalogs-redis"))
    try:
        made.remote.start()
        with client_session() as http:
            added = http.post(
                made.remote.url("/eureka/v2/apps/REMOTE"),
                json=eureka_instance("REMOTE", "10.2.0.1"),
            )
            assert added.status_code == 204, added.text
        made.registry.start()
        yield made
    finally:
        made.close()


def test_every_worker_serves_the_sources_and_sees_changes(stack: Stack):
    url = stack.registry.url("/api/v1/services")
    with client_session() as http:
        # New connections spread over both workers; each must show both sources.
        def everyone_sees(names: set[str]) -> bool:
            return all(
                set(http.get(url, headers={"Connection": "close"}).json()["services"])
                == names
                for _ in range(6)
            )

        wait_for(lambda: everyone_sees({"legacy", "web", "REMOTE"}), timeout=10)
        stack.write([ENTRY, {**ENTRY, "service_name": "added"}])
        wait_for(lambda: everyone_sees({"legacy", "web", "REMOTE", "added"}), timeout=3)
        added = stack.registry.url("/api/v1/services/added")

        def everyone_finds_it() -> bool:
            # Six requests may all reach one worker: the other may be a poll behind.
            return all(
                http.get(added, headers={"Connection": "close"}).status_code == 200
                for _ in range(6)
            )

        wait_for(everyone_finds_it, timeout=3)
        one = http.get(added).json()
        record_id = one["instances"][0]["id"]
        gone = http.delete(stack.registry.url(f"/api/v1/instances/{record_id}"))
        assert gone.status_code == 410
    assert record_id.encode() not in everything_in(stack.redis.client())
    started = [
        line for line in stack.registry.log.splitlines() if "services started" in line
    ]
    assert len(started) == 2
    assert all(
        "catalog-kubernetes" in line
        and "catalog-filesystem" in line
        and "catalog-eureka" in line
        for line in started
    )


MIRRORED_ID = "REMOTE:10.2.0.1:remote:8080"


def test_the_eureka_mirror_on_redis(stack: Stack):
    """Every worker mirrors the remote; writes to its instances are "no such
    instance"; remote changes arrive by delta; nothing of it is in Redis."""
    registry, remote = stack.registry, stack.remote
    json_accept = {"Accept": "application/json", "Connection": "close"}
    with client_session() as http:

        def every_worker(check: Any) -> bool:
            return all(check() for _ in range(6))  # new connections: both workers

        def mirrored_status() -> str | None:
            response = http.get(
                registry.url("/eureka/v2/apps/REMOTE"), headers=json_accept
            )
            if response.status_code != 200:
                return None
            (instance,) = response.json()["application"]["instance"]
            return str(instance["status"])

        wait_for(lambda: every_worker(lambda: mirrored_status() == "UP"), timeout=10)
        own = http.post(
            registry.url("/eureka/v2/apps/LOCAL"),
            json=eureka_instance("LOCAL", "10.3.0.1"),
        )
        assert own.status_code == 204
        apps = http.get(registry.url("/eureka/v2/apps"), headers=json_accept).json()
        names = {a["name"] for a in apps["applications"]["application"]}
        assert {"REMOTE", "LOCAL"} <= names
        native = http.get(registry.url(f"/api/v1/instances/{MIRRORED_ID}"))
        assert native.json()["instance"]["tags"] == ["remote"]

        for method, path, status in (
            ("put", "/eureka/v2/apps/REMOTE/10.2.0.1:remote:8080", 404),
            ("delete", "/eureka/v2/apps/REMOTE/10.2.0.1:remote:8080", 404),
            (
                "put",
                "/eureka/v2/apps/REMOTE/10.2.0.1:remote:8080/status?value=DOWN",
                404,
            ),
            ("put", f"/api/v1/instances/{MIRRORED_ID}/heartbeat", 410),
            ("delete", f"/api/v1/instances/{MIRRORED_ID}", 410),
        ):
            answer = http.request(method, registry.url(path))
            assert answer.status_code == status, (method, path, answer.text)
        assert mirrored_status() == "UP"

        down = http.put(
            remote.url("/eureka/v2/apps/REMOTE/10.2.0.1:remote:8080/status?value=DOWN")
        )
        assert down.status_code == 200
        wait_for(lambda: every_worker(lambda: mirrored_status() == "DOWN"), timeout=5)

    stored = everything_in(stack.redis.client())
    assert b"LOCAL:10.3.0.1:local:8080" in stored  # the own instance is there
    assert MIRRORED_ID.encode() not in stored


def everything_in(redis: Any) -> bytes:
    """Every key, field, member and value Redis holds, as one text to search."""
    parts: list[bytes] = []
    for key in redis.keys("*"):
        parts.append(key)
        kind = redis.type(key)
        if kind == b"hash":
            for field, value in redis.hgetall(key).items():
                parts += [field, value]
        elif kind == b"zset":
            parts += redis.zrange(key, 0, -1)
        elif kind == b"set":
            parts += redis.smembers(key)
        elif kind == b"list":
            parts += redis.lrange(key, 0, -1)
        elif kind == b"string":
            parts.append(redis.get(key) or b"")
        elif kind == b"stream":
            for _, entry in redis.xrange(key):
                for field, value in entry.items():
                    parts += [field, value]
    return b"\n".join(parts)
