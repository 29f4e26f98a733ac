"""What only the Redis catalog has to prove: key isolation, atomicity, expiry reads."""

from __future__ import annotations

import threading
import time

import pytest

from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime
from registry.store.backends import RedisBackend
from registry.store.clock import ManualClock
from registry.store.errors import (
    CapacityExceededError,
    InstanceNotFoundError,
    StoreUnavailableError,
)
from registry.store.redis_connection import connect
from registry.store.redis_store import RedisCatalog, RedisScripts, namespace_keys
from tests.support.redis_server import RedisServer

from .test_contract import registration


@pytest.fixture
def redis_client(redis_server):
    client = redis_server.client()
    client.flushall()
    return client


def catalog_for(client, namespace: str, clock: ManualClock, capacity: int = -1):
    return RedisCatalog(client, RedisScripts(client), namespace, clock, capacity)


NASTY = ["a", "a:b", "a}", "{a}", "*", "a*", "a:inst", "%7Ba%7D", "a b", "ns\x00x", "é"]


def test_namespace_names_cannot_reach_each_others_keys(redis_client, clock):
    catalogs = {name: catalog_for(redis_client, name, clock) for name in NASTY}
    for name, catalog in catalogs.items():
        catalog.register(registration(service=f"svc-{len(name)}", value=name))
    for name, catalog in catalogs.items():
        [record] = catalog.list_instances()
        assert record.endpoint.value == name
        assert catalog.list_services() == [f"svc-{len(name)}"]
    keys = {key.decode() for key in redis_client.keys("reg:{*")}
    tags = {key.split("}", 1)[0] for key in keys}
    assert len(tags) == len(NASTY)  # one hash tag per namespace, no brace inside


def test_every_key_of_a_namespace_shares_one_hash_tag():
    for name in NASTY:
        tags = {key[: key.index("}") + 1] for key in namespace_keys(name)}
        assert len(tags) == 1
        assert "{" not in next(iter(tags))[5:-1]


def test_concurrent_registrations_respect_capacity_exactly(redis_client, clock):
    catalogs = [catalog_for(redis_client, "busy", clock, capacity=50) for _ in range(4)]
    admitted: list[str] = []
    refused = []
    lock = threading.Lock()

    def worker(index: int, catalog: RedisCatalog) -> None:
        for n in range(40):
            try:
                record = catalog.register(registration("s", f"{index}-{n}"))
            except CapacityExceededError:
                with lock:
                    refused.append(n)
            else:
                with lock:
                    admitted.append(record.id)

    threads = [
        threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(catalogs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 50
    assert len(refused) == 110
    assert len(catalogs[0].list_instances()) == 50


def test_concurrent_heartbeats_and_registrations_lose_nothing(redis_client, clock):
    catalog = catalog_for(redis_client, "hb", clock)
    ids = [catalog.register(registration("s", str(n))).id for n in range(20)]
    start = catalog.revision

    def renew_all() -> None:
        for _ in range(10):
            for instance_id in ids:
                catalog.renew(instance_id)

    def register_more(offset: int) -> None:
        for n in range(50):
            catalog_for(redis_client, "hb", clock).register(
                registration("t", f"{offset}-{n}")
            )

    threads = [threading.Thread(target=renew_all) for _ in range(3)]
    threads += [threading.Thread(target=register_more, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(catalog.list_instances("s")) == 20
    assert len(catalog.list_instances("t")) == 150
    assert catalog.list_services() == ["s", "t"]
    assert catalog.revision == start + 3 * 10 * 20 + 150  # one step per write


def test_expired_instances_are_not_served_before_the_sweep(redis_client, clock):
    catalog = catalog_for(redis_client, "lazy", clock)
    record = catalog.register(registration(ttl=10))
    clock.advance(10.5)
    assert catalog.list_instances() == []
    with pytest.raises(InstanceNotFoundError):
        catalog.get_instance(record.id)
    assert catalog.expire() == 1


def test_state_survives_a_new_client(redis_server, redis_client, clock):
    catalog_for(redis_client, "durable", clock).register(registration())
    other = catalog_for(redis_server.client(), "durable", clock)
    assert [r.id for r in other.list_instances()] == ["26634d9e31ce714e"]


def test_revisions_never_go_back_even_when_redis_loses_data(redis_client, clock):
    catalog = catalog_for(redis_client, "lossy", clock)
    for n in range(5):
        catalog.register(registration("s", str(n)))
    before = catalog.revision
    redis_client.flushall()  # a restart without persistence, or a lagging replica
    clock.advance(0.001)
    catalog_for(redis_client, "lossy", clock).register(registration("s", "new"))
    assert catalog.revision > before
    assert catalog.service_revision("s") > before


def test_the_sweep_covers_namespaces_this_process_never_saw(
    redis_server, redis_client, clock
):
    catalog_for(redis_client, "elsewhere", clock).register(registration(ttl=10))
    backend = RedisBackend(redis_server.client(), clock, -1, redis_server.address)
    runtime = RegistryRuntime(RegistryConfig(), clock, backend=backend, plugins=[])
    clock.advance(10.5)
    # The sweep goes through this process's catalog map (and any wrappers).
    assert runtime.expire() == 1
    assert runtime.catalogs.names() == ["elsewhere"]
    assert catalog_for(redis_client, "elsewhere", clock).list_instances() == []


@pytest.fixture
def own_redis():
    """A redis-server of this test's own, stopped by its pid whatever happens."""
    server = RedisServer().start()
    yield server
    server.stop()


def test_unreachable_redis_is_unavailable_not_an_error(clock, own_redis):
    server = own_redis
    config = RegistryConfig(
        store="redis", store_address=server.address, store_timeout=1.0
    )
    backend = RedisBackend(connect(config), clock, -1, server.address)
    catalog = backend.new_catalog("ns")
    catalog.register(registration())
    server.stop()
    started = time.monotonic()
    assert backend.health()[0] is False
    assert "Redis unreachable" in backend.health()[1]["message"]
    with pytest.raises(StoreUnavailableError):
        catalog.list_instances()
    with pytest.raises(StoreUnavailableError):
        catalog.register(registration("other"))
    assert time.monotonic() - started < 1.5  # refused connections fail fast
    server.start()
    assert backend.health() == (True, {"store": "redis", "address": server.address})
    assert catalog.list_instances() == []  # no persistence in this server: data gone


def test_counts_are_rebuilt_once_when_redis_has_none(redis_client, clock):
    """Data written before the counts existed (or a lost count key): the first
    count reads the records once, and the writes keep the counts from then on."""
    catalog = catalog_for(redis_client, "old", clock)
    for n in range(5):
        catalog.register(registration("s", f"10.0.0.{n}:80"))
    catalog.set_status(registration("s", "10.0.0.0:80").id, "DOWN")
    counts_key = namespace_keys("old")[-1]
    redis_client.delete(counts_key)

    assert catalog.count_by_status() == {"UP": 4, "DOWN": 1}
    catalog.register(registration("s", "10.0.0.9:80", status="STARTING"))
    catalog.deregister(registration("s", "10.0.0.1:80").id)
    assert catalog.count_by_status() == {"UP": 3, "DOWN": 1, "STARTING": 1}
    assert redis_client.hget(counts_key, "UP") == b"3"


def test_a_heartbeat_sends_the_update_scripts_six_renewal_arguments(
    redis_server, redis_client, clock
):
    """The arguments after the sixth are optional in lua/update.lua; a renewal
    that needs none of them leaves them out (and still renews)."""
    catalog = catalog_for(redis_client, "beats", clock)
    record = catalog.register(registration(ttl=30))
    commands: list[list[str]] = []
    with redis_server.client().monitor() as monitor:
        clock.advance(5)
        catalog.renew(record.id)
        for event in monitor.listen():
            words = event["command"].split(" ")
            if words[0] == "EVALSHA":
                commands.append(words)
                break
    keys = int(commands[0][2])
    assert len(commands[0]) - 3 - keys == 6
    assert catalog.get_instance(record.id).last_renewal_ns == clock.now_ns()
