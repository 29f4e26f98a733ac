"""The catalogs on the Redis store: every worker process runs its own sources.

Two worker processes share one Redis; each reads the catalog directory and the
fake Kubernetes API itself. Source instances are never written to Redis.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.catalogs.fakes import FakeKubernetes, endpoints, wait_for
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
        flags = [
            "--store", "redis", "--store_address", self.redis.address,
            "--workers", "2", "--k8s_url", self.fake.url,
            "--fs_catalog", str(self.catalog),
        ]  # fmt: skip
        self.registry = RegistryServer(tmp / "registry.log", flags)

    def write(self, entries: list[dict[str, Any]]) -> None:
        scratch = self.catalog / "default.tmp"
        scratch.write_text(json.dumps({"instances": entries}))
        scratch.replace(self.catalog / "default.conf")

    def close(self) -> None:
        try:
            self.registry.stop()
        finally:
            self.registry.cleanup()
            self.fake.stop()
            self.redis.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    made = Stack(tmp_path_factory.mktemp("catalogs-redis"))
    try:
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

        wait_for(lambda: everyone_sees({"legacy", "web"}), timeout=10)
        stack.write([ENTRY, {**ENTRY, "service_name": "added"}])
        wait_for(lambda: everyone_sees({"legacy", "web", "added"}), timeout=3)
        one = http.get(stack.registry.url("/api/v1/services/added")).json()
        record_id = one["instances"][0]["id"]
        gone = http.delete(stack.registry.url(f"/api/v1/instances/{record_id}"))
        assert gone.status_code == 410
    redis = stack.redis.client()
    stored = [redis.dump(key) or b"" for key in redis.keys("*")]
    assert not any(record_id.encode() in value for value in stored)  # not in Redis
    started = [
        line for line in stack.registry.log.splitlines() if "services started" in line
    ]
    assert len(started) == 2
    assert all(
        "catalog-kubernetes" in line and "catalog-filesystem" in line
        for line in started
    )
