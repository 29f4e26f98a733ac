"""The registry behind Redis Sentinel: one master, one replica, one Sentinel.

The registry finds the master through the Sentinel and follows a failover by itself:
after the master stops and the replica is promoted, it serves again, still lists
every replicated instance, and accepts new registrations.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from tests.e2e.support import RegistryServer, unique
from tests.redis.support import (
    Api,
    Stack,
    assert_expires,
    assert_store_unavailable,
    wait_for,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

MASTER_NAME = "mymaster"
TTL = 1


@dataclass
class SentinelSetup:
    master: RedisServer
    replica: RedisServer
    sentinel_port: int
    registry: RegistryServer

    def sentinel(self) -> redis.Redis:
        return redis.Redis(
            port=self.sentinel_port, socket_timeout=2, socket_connect_timeout=2
        )


def replication_info(server: RedisServer) -> dict[str, object]:
    client = server.client()
    try:
        info: dict[str, object] = client.info("replication")
        return info
    finally:
        client.close()


@pytest.fixture(scope="module")
def setup(stack: Stack) -> SentinelSetup:
    master = stack.redis()
    replica = stack.redis("--replicaof", "127.0.0.1", str(master.port))
    wait_for(
        lambda: replication_info(replica).get("master_link_status") == "up",
        15,
        "the replica syncs with the master",
    )
    sentinel_port = stack.sentinel(master, MASTER_NAME)
    registry = stack.registry(
        "--store", "redis",
        "--store_sentinels", f"127.0.0.1:{sentinel_port}",
        "--store_sentinel_master", MASTER_NAME,
        "--store_timeout", "1s",
        "--min_ttl", "1s",
        "--workers", "2",
    )  # fmt: skip
    sentinel = redis.Redis(port=sentinel_port, socket_timeout=2)
    try:

        def knows_the_replica() -> bool:
            replicas = sentinel.sentinel_slaves(MASTER_NAME)
            return any(
                int(r["port"]) == replica.port and not r["is_sdown"] for r in replicas
            )

        # Sentinel learns replicas from the master's INFO; only then can it fail over.
        wait_for(knows_the_replica, 15, "the Sentinel knows the replica")
    finally:
        sentinel.close()
    return SentinelSetup(master, replica, sentinel_port, registry)


@pytest.fixture
def api(setup: SentinelSetup) -> Iterator[Api]:
    with Api(setup.registry) as client:
        yield client


def test_the_registry_works_through_the_sentinel(setup, api):
    service = unique("sentinel")
    first = api.register_ok(service, "10.0.0.1:80", ttl=300)
    sent = time.monotonic()
    second = api.register_ok(service, "10.0.0.2:80", ttl=TTL)
    answered = time.monotonic()
    assert api.ids(service) == {first, second}
    assert api.heartbeat(first).status_code == 200
    uptime = api.uptime()
    assert uptime.status_code == 200, uptime.text
    assert uptime.json()["STORE"]["healthy"] is True

    # The data is on whichever node is the master now, and replicated if it can be.
    if setup.master.process is not None:
        master, replica = setup.master.client(), setup.replica.client()
        try:
            assert master.hexists("reg:{default}:inst", first)
            assert int(master.execute_command("WAIT", 1, 5000)) == 1
            assert replica.hexists("reg:{default}:inst", first)
        finally:
            master.close()
            replica.close()

    assert_expires(lambda: second in api.ids(service), sent, answered, TTL, "instance")
    assert api.deregister(first).status_code == 200
    assert api.ids(service) == set()


def test_failover_keeps_the_instances_and_registrations_go_on(setup, api):
    if setup.master.process is None:
        pytest.skip("the master has already failed over")
    service = unique("failover")
    ids = {api.register_ok(service, f"10.0.0.{n}:80", ttl=300) for n in range(5)}
    master = setup.master.client()
    try:
        # Every acknowledged write is on the replica before the master goes.
        assert int(master.execute_command("WAIT", 1, 5000)) == 1
    finally:
        master.close()
    setup.master.stop()
    started = time.monotonic()
    assert_store_unavailable(api.get("/api/v1/instances"))  # until the failover
    assert time.monotonic() - started < 2.0

    sentinel = setup.sentinel()
    try:

        def promoted() -> bool:
            address = sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)
            return address is not None and int(address[1]) == setup.replica.port

        wait_for(promoted, 15, "the Sentinel names the replica", interval=0.2)
    finally:
        sentinel.close()
    assert replication_info(setup.replica)["role"] == "master"

    wait_for(lambda: api.serves(service), 10, "the registry serves again")
    assert api.ids(service) == ids
    for instance_id in ids:
        assert api.heartbeat(instance_id).status_code == 200
    new = api.register_ok(service, "10.0.1.1:80", ttl=300)
    assert api.ids(service) == {*ids, new}
    assert api.deregister(new).status_code == 200
    assert api.uptime().status_code == 200

    # Expiry (the sweep) runs against the new master too.
    sent = time.monotonic()
    short = api.register_ok(unique("after-failover"), ttl=TTL)
    answered = time.monotonic()

    assert_expires(lambda: api.exists(short), sent, answered, TTL, "instance")
