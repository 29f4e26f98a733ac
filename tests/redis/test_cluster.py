"""The registry on a Redis Cluster of three masters (``--store_cluster``).

Each namespace lives in one hash slot, namespaces spread over the nodes, each works
on its own node, and names with ``:``, ``*``, ``{`` or ``}`` cannot reach (or count)
another namespace's keys.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from tests.e2e.support import RegistryServer, unique
from tests.redis.support import (
    Api,
    Stack,
    assert_expires,
    cluster_port,
    registry_keys,
    wait_for,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

REDIS_CLI = "redis-cli"
CAPACITY = 3
TTL = 1
TENANTS = [f"tenant-{n}" for n in range(10)]
#: Names that would leak into other namespaces' keys (or hash tags, or KEYS/SCAN
#: patterns) if they were used raw, and the plain names they could collide with.
SPECIAL = ["a", "a:b", "a:b:c", "b", "*", "a*", "{a}", "{", "}", "}{", "%7Ba%7D", "x y"]


@pytest.fixture(scope="module")
def nodes(stack: Stack) -> list[RedisServer]:
    flags = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
    flags += ["--cluster-node-timeout", "2000"]
    with ThreadPoolExecutor(max_workers=3) as pool:
        servers = list(
            pool.map(lambda _: stack.redis(*flags, port=cluster_port()), range(3))
        )
    command = [REDIS_CLI, "--cluster", "create"]
    command += [server.address for server in servers]
    command += ["--cluster-replicas", "0", "--cluster-yes"]
    created = subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False
    )
    assert created.returncode == 0, created.stdout + created.stderr

    def all_ok() -> bool:
        for server in servers:
            client = server.client()
            try:
                if client.cluster("info")["cluster_state"] != "ok":
                    return False
            finally:
                client.close()
        return True

    wait_for(all_ok, 20, "cluster_state:ok on every node", interval=0.1)
    return servers


@pytest.fixture(scope="module")
def registry(stack: Stack, nodes: list[RedisServer]) -> RegistryServer:
    return stack.registry(
        "--store", "redis",
        "--store_cluster",
        "--store_address", nodes[0].address,
        "--auth_mode", "trusted",
        "--namespace_capacity", str(CAPACITY),
        "--min_ttl", "1s",
        "--workers", "2",
    )  # fmt: skip


@pytest.fixture
def api_for(registry: RegistryServer) -> Iterator[Callable[[str], Api]]:
    opened: list[Api] = []

    def open_api(namespace: str) -> Api:
        api = Api(registry, namespace)
        opened.append(api)
        return api

    yield open_api
    for api in opened:
        api.close()


def keys_by_node(nodes: list[RedisServer]) -> list[set[str]]:
    found = []
    for node in nodes:
        client = node.client()
        try:
            found.append(registry_keys(client))
        finally:
            client.close()
    return found


def test_namespaces_spread_over_the_nodes_and_each_works(nodes, api_for):
    service = unique("spread")
    registered: dict[str, tuple[str, str]] = {}
    for tenant in TENANTS:
        api = api_for(tenant)
        first = api.register_ok(service, f"10.0.0.1:80/{tenant}", ttl=300)
        second = api.register_ok(service, f"10.0.0.2:80/{tenant}", ttl=300)
        registered[tenant] = (first, second)

    for tenant, (first, second) in registered.items():
        api = api_for(tenant)
        assert api.ids(service) == {first, second}, tenant
        listed = api.get(f"/api/v1/services/{service}")
        assert listed.status_code == 200, (tenant, listed.text)
        assert len(listed.json()["instances"]) == 2
        assert api.heartbeat(first).status_code == 200
        assert api.deregister(second).status_code == 200
        assert api.deregister(second).status_code == 410
        assert api.ids(service) == {first}
        assert [i["id"] for i in api.instances()] == [first]

    # One node holds each namespace (one hash slot); more than one node is used.
    holders = {}
    for tenant in TENANTS:
        tag = "reg:{" + quote(tenant, safe="") + "}:"
        owners = [
            index
            for index, keys in enumerate(keys_by_node(nodes))
            if any(key.startswith(tag) for key in keys)
        ]
        assert len(owners) == 1, (tenant, owners)
        holders[tenant] = owners[0]
    assert len(set(holders.values())) >= 2, holders

    for tenant, (first, _) in registered.items():
        assert api_for(tenant).deregister(first).status_code == 200
        assert api_for(tenant).ids(service) == set()


def test_special_namespace_names_are_isolated(api_for):
    service = unique("special")
    ids = {}
    for number, namespace in enumerate(SPECIAL):
        ids[namespace] = api_for(namespace).register_ok(
            service, f"10.0.0.{number}:80", ttl=300
        )
    for namespace, instance_id in ids.items():
        api = api_for(namespace)
        assert api.ids(service) == {instance_id}, namespace
        assert [i["id"] for i in api.instances()] == [instance_id], namespace
        assert api.services() == [service], namespace
        for other, other_id in ids.items():
            if other != namespace:
                assert api.instance(other_id).status_code == 404, (namespace, other)
                assert api.heartbeat(other_id).status_code == 410, (namespace, other)

    # Capacity counts one namespace only: "*" and "a*" fill up on their own.
    for namespace in ("*", "a*", "{a}"):
        api = api_for(namespace)
        for number in range(1, CAPACITY):
            api.register_ok(service, f"10.1.0.{number}:80", ttl=300)
        assert api.register(service, "10.1.1.1:80", ttl=300).status_code == 403
        assert len(api.ids(service)) == CAPACITY
    assert api_for("a").register(service, "10.1.0.1:80", ttl=300).status_code == 201

    for namespace, instance_id in ids.items():
        api = api_for(namespace)
        assert api.deregister(instance_id).status_code == 200, namespace
        assert instance_id not in api.ids(service)


def test_expiry_on_the_cluster(api_for):
    """Each namespace's sweep runs on the node that holds it."""
    service = unique("cluster-expiry")
    started: dict[str, tuple[str, float, float]] = {}
    for tenant in TENANTS[:5]:
        sent = time.monotonic()
        instance_id = api_for(tenant).register_ok(service, ttl=TTL)
        started[tenant] = (instance_id, sent, time.monotonic())
    for tenant, (instance_id, sent, answered) in started.items():
        api = api_for(tenant)

        def present(api: Api = api, instance_id: str = instance_id) -> bool:
            return instance_id in api.ids(service)

        assert_expires(present, sent, answered, TTL, f"instance in {tenant}")
    time.sleep(0.5)  # swept everywhere by now
    for tenant, (instance_id, _, _) in started.items():
        assert api_for(tenant).heartbeat(instance_id).status_code == 410, tenant
