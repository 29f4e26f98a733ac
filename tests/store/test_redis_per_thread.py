"""PerThreadClient (registry/store/redis_connection.py) against a real redis-server."""

from __future__ import annotations

import os
import signal
import threading
import time

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


# -- the packed hot paths (PackedScript, get, hget) --------------------------

ECHO_SCRIPT = "return {KEYS, ARGV}"


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("plain", b"raw", 0, -1, 2**63 - 1, 2**70),
        ("é ü 中", b"\x00\r\n$*", "", b""),
        (1.5, -0.0, 1e300, 3.0),
        (memoryview(b"view"), bytearray(b"array")),
        ("x" * 10_000, b"y" * 70_000),
    ],
)
def test_a_packed_script_sends_what_redis_py_sends(own_redis, args):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    plain = redis.Redis.from_url(f"redis://{own_redis.address}")
    keys: list[str | bytes] = ["k:1", "ns:é", b"k\x00b"]
    packed = client.register_script(ECHO_SCRIPT)
    reference = plain.register_script(ECHO_SCRIPT)
    assert packed(keys=keys, args=args) == reference(keys=keys, args=args)
    # Packed heads are kept per key list; another list gets its own.
    assert packed(keys=["other"], args=args) == reference(keys=["other"], args=args)
    assert packed(keys=keys, args=args[:1]) == reference(keys=keys, args=args[:1])


@pytest.mark.parametrize("value", [None, True, object()])
def test_a_packed_argument_redis_py_refuses_is_refused(own_redis, value):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    with pytest.raises(redis.DataError):
        client.register_script(ECHO_SCRIPT)(keys=["k"], args=[value])
    assert client.get("k") is None  # and the connection is still in step


def test_packed_get_and_hget_answer_as_redis_py(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    plain = redis.Redis.from_url(f"redis://{own_redis.address}")
    plain.set("counter", 41)
    plain.hset("revisions", mapping={"svc-é": 3, "empty": ""})
    for name in ("counter", "missing", "revisions"):
        if name == "revisions":
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                client.get(name)
        else:
            assert client.get(name) == plain.get(name)
    for field in ("svc-é", "empty", "absent"):
        assert client.hget("revisions", field) == plain.hget("revisions", field)
    assert client.hget("nothing", "x") is None


def test_a_flushed_script_is_loaded_again(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    script = client.register_script("return ARGV[1] .. KEYS[1]")
    assert script(keys=["k"], args=["v"]) == b"vk"
    redis.Redis.from_url(f"redis://{own_redis.address}").script_flush()
    assert script(keys=["k"], args=["w"]) == b"wk"  # NOSCRIPT, loaded, run again
    assert script(keys=["k"], args=["x"]) == b"xk"


def test_a_killed_connection_is_retried_once_on_a_new_one(own_redis):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    script = client.register_script("return 1")
    before = client_id(client)
    assert script() == 1
    redis.Redis.from_url(f"redis://{own_redis.address}").client_kill_filter(
        _id=str(before)
    )
    assert script() == 1  # the dead socket failed at once; the retry reconnected
    assert client.get("k") is None
    assert client_id(client) != before


def test_a_script_error_is_redis_pys_error_and_the_connection_stays_usable(
    own_redis,
):
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    failing = client.register_script("return redis.error_reply('BROKEN here')")
    with pytest.raises(redis.ResponseError, match="BROKEN here"):
        failing()
    assert client.register_script("return 2")() == 2


def test_packed_commands_wait_no_longer_than_the_store_timeout(own_redis):
    config = RegistryConfig(
        store="redis", store_address=own_redis.address, store_timeout=0.3
    )
    client = connect(config)
    sleeper = client.register_script("return 1")
    assert sleeper() == 1
    assert own_redis.process is not None
    os.kill(own_redis.process.pid, signal.SIGSTOP)  # frozen, as in test_circuit
    try:
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            client.hget("revisions", "svc")
        assert time.monotonic() - started < 2.0
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    assert sleeper() == 1  # the timed-out connection was dropped; a new one works


def test_replies_are_parsed_by_hiredis(own_redis):
    """hiredis is a declared dependency: redis-py's C reply parser (bench/README)."""
    client = connect(RegistryConfig(store="redis", store_address=own_redis.address))
    assert client.get("k") is None
    connection = client.thread_client().connection
    assert connection is not None
    assert type(connection._parser).__name__ == "_HiredisParser"
