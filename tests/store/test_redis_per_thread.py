"""PerThreadClient (registry/store/redis_connection.py) against a real redis-server."""

from __future__ import annotations

import threading

import pytest
import redis

from registry.config import RegistryConfig
from registry.store.redis_connection import (
    PerThreadClient,
    connect,
    drop_connections,
)
from tests.support.redis_server import RedisServer


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.stop()


def client_id(client: PerThreadClient) -> int:
    return int(client.client_id())


def test_each_thread_keeps_one_connection_of_the_shared_pool(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    assert isinstance(client, PerThreadClient)
    mine = {client_id(client) for _ in range(5)}  # the same connection each time
    theirs: list[int] = []
    thread = threading.Thread(
        target=lambda: theirs.extend(client_id(client) for _ in range(5))
    )
    thread.start()
    thread.join()
    assert len(mine) == 1
    assert len(set(theirs)) == 1
    assert mine != set(theirs)
    pool = client.connection_pool
    assert pool is client.thread_client().connection_pool
    assert len(pool._in_use_connections) >= 1  # held, not given back per command


def test_scripts_and_kept_methods_run_on_the_callers_client(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    script = client.register_script("return 7")
    ping = client.ping  # kept, as the circuit keeps it
    assert script() == 7
    main_connection = client.thread_client().connection
    used: list[object] = []

    def other() -> None:
        assert ping() is True
        assert script() == 7
        used.append(client.thread_client().connection)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert used
    assert used[0] is not None
    assert used[0] is not main_connection
    assert client.thread_client().connection is main_connection
    admin = redis.Redis.from_url(f"redis://{own_redis.address}")
    try:
        # The two threads' connections (the other thread's, given back when its
        # client went with the thread, may still be open in the pool) and admin's.
        assert len(admin.client_list()) >= 2
    finally:
        admin.close()


def test_nothing_connects_before_the_first_command(own_redis):
    """A registry starts while Redis is down: only a command meets the outage."""
    address = own_redis.address
    own_redis.stop()
    client = connect(
        RegistryConfig(store="redis", store_address=address, store_timeout=0.5)
    )
    script = client.register_script("return 1")  # no network
    assert script.sha
    with pytest.raises(redis.ConnectionError):
        client.ping()


def test_dropped_connections_reconnect_at_the_next_command(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    before = client_id(client)
    drop_connections(client)
    after = client_id(client)
    assert after != before  # a new connection, made by the command itself
    assert client.ping() is True


def test_underscored_names_are_not_commands(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    with pytest.raises(AttributeError):
        client.__deepcopy__  # noqa: B018
