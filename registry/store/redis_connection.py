"""The Redis client for a configuration: standalone, Sentinel or Cluster.

Connections are redis-py's (pooling, timeouts, TLS with ``rediss://``); nothing
here talks the protocol by hand. Clients are made in the process that uses them
(after gunicorn forks), never shared across a fork.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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
    method kept by another object, ``ping`` by the circuit, stays per thread);
    scripts are registered on this object, so they run on the caller's client too.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.connection_pool = client.connection_pool
        self._local = threading.local()

    def thread_client(self) -> redis.Redis:
        client: redis.Redis | None = getattr(self._local, "client", None)
        if client is None:
            client = redis.Redis(
                connection_pool=self.connection_pool, single_connection_client=True
            )
            self._local.client = client
        return client

    def get_encoder(self) -> Any:
        return self.connection_pool.get_encoder()

    def register_script(self, script: str) -> Script:
        return Script(self, script)  # type: ignore[arg-type]  # duck-typed client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)  # not a command: copy, pickle, dunders

        def command(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.thread_client(), name)(*args, **kwargs)

        command.__name__ = name
        return command


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
