"""The Redis client for a configuration: standalone, Sentinel or Cluster.

Connections are redis-py's (pooling, timeouts, TLS with ``rediss://``, retries,
replies parsed by its parser). For standalone Redis, the commands of the hot paths
(the store's scripts, ``GET`` and ``HGET``) are packed here and sent on the calling
thread's connection (:class:`PerThreadClient`). Clients are made in the process
that uses them (after gunicorn forks), never shared across a fork.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import redis
from redis.backoff import AbstractBackoff, NoBackoff
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.maint_notifications import MaintNotificationsConfig
from redis.retry import Retry
from redis.sentinel import Sentinel

from registry.config import RegistryConfig
from registry.store.circuit import QUICK_CHECK_SECONDS, StoreCircuit
from registry.store.errors import StoreUnavailableError


class CircuitBackoff(AbstractBackoff):
    """No pause before the one retry of a dead connection, and no retry at all
    while the store's circuit is open: the retry would reconnect to the store that
    just dropped (or hangs) and block the request again."""

    def __init__(self, circuit: StoreCircuit | None = None) -> None:
        self.circuit = circuit

    def __deepcopy__(self, memo: dict[int, Any]) -> CircuitBackoff:
        # redis-py copies its retry policy into every connection; they must all
        # share the one circuit (which holds a lock, and cannot be copied).
        return self

    def compute(self, failures: int) -> float:
        if self.circuit is not None and self.circuit.is_open:
            raise StoreUnavailableError(self.circuit.reason)
        return 0.0


def connect(config: RegistryConfig, circuit: StoreCircuit | None = None) -> Any:
    """A redis-py client (``Redis`` or ``RedisCluster``) for ``config``.

    A command is retried once on a *dead* connection (a pooled socket that a
    restarted Redis closed fails at once), never on a timeout and never while
    ``circuit`` is open, so a request gives up after about ``store_timeout``
    however Redis fails.
    """
    timeout = config.store_timeout
    retry = Retry(CircuitBackoff(circuit), 1, supported_errors=(redis.ConnectionError,))
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": retry,
        "health_check_interval": 30,
        # redis-py 8 talks RESP3 and, on every new connection, asks the server for
        # maintenance notifications (a Redis Cloud/Enterprise feature). Servers
        # without it answer an error, which redis-py swallows, unless a timeout
        # during the handshake leaves that reply unread and it surfaces later.
        "maint_notifications_config": MaintNotificationsConfig(enabled=False),
    }
    if config.store_password:
        options["password"] = config.store_password
    if config.store_sentinels:
        # Shared: a held connection does not follow a failover the way a pool's
        # fresh ones do (tests/redis/test_sentinel.py).
        return _sentinel_master(config, options)
    address = config.store_address
    url = address if "://" in address else f"redis://{address}"
    if config.store_cluster:
        options.pop("health_check_interval")
        return RedisCluster.from_url(url, **options)
    return PerThreadClient(redis.Redis.from_url(url, **options))


class PerThreadClient:
    """A redis-py client per thread, each holding one connection of the shared pool.

    redis-py's client takes a connection from its pool for every command and gives
    it back after, checking on the way that nothing is waiting on the socket: a
    third of a command's CPU on loopback (a ``PING``: 118 µs against 85 µs with a
    connection of its own; bench/README.md). Each thread that talks to Redis (the
    request threads, the expiry sweep) gets a client with
    ``single_connection_client`` on the same pool, so the pool's settings, and
    :func:`drop_connections` (which closes connections in use too), apply to all.

    Standalone Redis only: Sentinel and Cluster clients stay shared.

    A thread's client is made, and connects, at its first command, which runs
    where the store's errors are handled (``store_timeout``, the circuit): never at
    start-up, so a registry still starts while Redis is down or hung. A command
    method is looked up on the calling thread's client when it is called (a bound
    method kept by another object, ``ping`` by the circuit, stays per thread).

    The hot paths' commands skip redis-py's command machinery (argument encoding
    through its generic encoder, per-command observability hooks): scripts are
    :class:`PackedScript`, whose ``EVALSHA`` head and keys are packed once per key
    list, and :meth:`get` and :meth:`hget` pack their two or three arguments
    directly. All of them go through :meth:`execute_packed`, which keeps redis-py's
    connection handling: its health check, retry policy (so :class:`CircuitBackoff`
    still decides), timeouts, reply parser and errors.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.connection_pool = client.connection_pool
        self._local = threading.local()
        encoder = self.connection_pool.get_encoder()
        self._encoder: Any = encoder
        self._encoding: str = encoder.encoding
        self._encoding_errors: str = encoder.encoding_errors

    def thread_client(self) -> redis.Redis:
        client: redis.Redis | None = getattr(self._local, "client", None)
        if client is None:
            client = redis.Redis(
                connection_pool=self.connection_pool, single_connection_client=True
            )
            self._local.client = client
        return client

    def get_encoder(self) -> Any:
        return self._encoder

    def register_script(self, script: str) -> Script:
        return PackedScript(self, script)

    def bulk(self, value: Any) -> bytes:
        """``value`` as one RESP bulk string, encoded as redis-py encodes it."""
        kind = type(value)
        if kind is bytes:
            data = value
        elif kind is str:
            data = value.encode(self._encoding, self._encoding_errors)
        elif kind is int:
            data = b"%d" % value
        else:  # floats, memoryviews, int subclasses; refuses what redis-py refuses
            data = bytes(self._encoder.encode(value))
        return b"$%d\r\n%b\r\n" % (len(data), data)

    def pack(self, *args: Any) -> bytes:
        """A whole command (``args[0]`` is its name, one word)."""
        return b"*%d\r\n" % len(args) + b"".join(map(self.bulk, args))

    def get(self, name: Any) -> Any:
        return self.execute_packed(self.pack("GET", name))

    def hget(self, name: Any, key: Any) -> Any:
        return self.execute_packed(self.pack("HGET", name, key))

    def execute_packed(self, packed: bytes) -> Any:
        """Send a packed command on this thread's connection and read its reply.

        What redis-py's ``execute_command`` does with a single-connection client,
        minus the packing and the observability hooks: the same lock, retry policy
        (a dead connection is dropped, then retried as the policy and the circuit
        allow) and reconnect request handling. Error replies raise redis-py's
        exceptions (``NoScriptError``, ``ResponseError``).
        """
        client = self.thread_client()
        conn: Any = client.connection
        assert conn is not None  # a single-connection client holds one

        def round_trip() -> Any:
            conn.send_packed_command((packed,))
            return conn.read_response()

        with client.single_connection_lock:
            try:
                return conn.retry.call_with_retry(
                    round_trip, lambda _error: conn.disconnect()
                )
            finally:
                if conn.should_reconnect():
                    conn.disconnect()
                    conn.connect()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)  # not a command: copy, pickle, dunders

        def command(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.thread_client(), name)(*args, **kwargs)

        command.__name__ = name
        return command


class PackedScript(Script):
    """A Lua script run with ``EVALSHA`` packed by :class:`PerThreadClient`.

    The command's head (name, SHA, key count) and its keys are packed once per key
    list (a store has one per namespace; at most :data:`KEPT_KEY_LISTS` are kept),
    so a call packs only its arguments. A ``NOSCRIPT`` reply (Redis restarted, or
    flushed its scripts) loads the script and runs it again, as redis-py's
    :class:`~redis.commands.core.Script` does.
    """

    #: Packed key lists kept; beyond, the cache starts again (namespaces are many).
    KEPT_KEY_LISTS = 1024

    def __init__(self, client: PerThreadClient, script: str) -> None:
        super().__init__(client, script)  # type: ignore[arg-type]  # duck-typed
        self._client = client
        self._heads: dict[tuple[Any, ...], bytes] = {}

    def __call__(  # type: ignore[override]  # keys and args only; no client
        self, keys: Sequence[Any] = (), args: Sequence[Any] = ()
    ) -> Any:
        client = self._client
        try:
            return client.execute_packed(self._packed(keys, args))
        except redis.exceptions.NoScriptError:
            self.sha = client.thread_client().script_load(self.script)
            self._heads.clear()
            return client.execute_packed(self._packed(keys, args))

    def _packed(self, keys: Sequence[Any], args: Sequence[Any]) -> bytes:
        key_list = tuple(keys)
        head = self._heads.get(key_list)
        if head is None:
            bulk = self._client.bulk
            head = b"".join(
                [bulk("EVALSHA"), bulk(self.sha), bulk(len(key_list))]
                + [bulk(key) for key in key_list]
            )
            if len(self._heads) >= self.KEPT_KEY_LISTS:
                self._heads.clear()
            self._heads[key_list] = head
        count = b"*%d\r\n" % (3 + len(key_list) + len(args))
        return count + head + b"".join(map(self._client.bulk, args))


def _sentinel_master(config: RegistryConfig, options: dict[str, Any]) -> Any:
    sentinels = []
    for address in config.store_sentinels:
        host, _, port = address.rpartition(":")
        sentinels.append((host, int(port)))
    sentinel_options = {
        "socket_timeout": options["socket_timeout"],
        "socket_connect_timeout": options["socket_connect_timeout"],
        "maint_notifications_config": options["maint_notifications_config"],
    }
    if config.store_password:
        sentinel_options["password"] = config.store_password
    sentinel = Sentinel(sentinels, sentinel_kwargs=sentinel_options, **options)
    return sentinel.master_for(config.store_sentinel_master)


class QuickPing:
    """PING answered within ``deadline`` seconds, else ``redis.TimeoutError`` (the
    circuit's quick check). It has a connection of its own whose every socket
    operation, the connect handshake included, has that deadline: the pool's
    connections wait ``store_timeout``, and may all be busy. Cluster clients have
    no single pool: their requests find an outage themselves."""

    def __init__(self, client: Any, deadline: float = QUICK_CHECK_SECONDS) -> None:
        self._connection: Any = None
        pool = getattr(client, "connection_pool", None)
        if pool is not None:
            kwargs = {
                **pool.connection_kwargs,
                "socket_timeout": deadline,
                "socket_connect_timeout": deadline,
                # Not the clients' retry policy, which refuses while the circuit
                # is open: the probe must reach the store exactly then.
                "retry": Retry(NoBackoff(), 0),
            }
            self._connection = pool.connection_class(**kwargs)

    def __call__(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            self._ping(connection)
        except redis.TimeoutError:
            raise  # the store hangs
        except redis.ConnectionError:
            # A socket left from before a restart: one fresh connection decides.
            self._ping(connection)

    @staticmethod
    def _ping(connection: Any) -> None:
        try:
            connection.send_command("PING")
            connection.read_response()
        except BaseException:
            connection.disconnect()  # the next check starts afresh
            raise


def drop_connections(client: Any) -> None:
    """Close every connection of ``client``, those in use too: a request blocked
    on a hung store wakes up with a connection error at once."""
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        pool.disconnect(inuse_connections=True)
    elif hasattr(client, "disconnect_connection_pools"):
        client.disconnect_connection_pools()
