"""The Redis client for a configuration: standalone, Sentinel or Cluster.

Connections are redis-py's (pooling, timeouts, TLS with ``rediss://``); nothing
here talks the protocol by hand. Clients are made in the process that uses them
(after gunicorn forks), never shared across a fork.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

from registry.config import RegistryConfig


def connect(config: RegistryConfig) -> Any:
    """A redis-py client (``Redis`` or ``RedisCluster``) for ``config``.

    A command is retried once on a *dead* connection (a pooled socket that a
    restarted Redis closed fails at once), never on a timeout, so a request gives
    up after about ``store_timeout`` however Redis fails.
    """
    timeout = config.store_timeout
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        "health_check_interval": 30,
    }
    if config.store_password:
        options["password"] = config.store_password
    if config.store_sentinels:
        return _sentinel_master(config, options)
    address = config.store_address
    url = address if "://" in address else f"redis://{address}"
    if config.store_cluster:
        options.pop("health_check_interval")
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


def _sentinel_master(config: RegistryConfig, options: dict[str, Any]) -> Any:
    sentinels = []
    for address in config.store_sentinels:
        host, _, port = address.rpartition(":")
        sentinels.append((host, int(port)))
    sentinel_options = {
        "socket_timeout": options["socket_timeout"],
        "socket_connect_timeout": options["socket_connect_timeout"],
    }
    if config.store_password:
        sentinel_options["password"] = config.store_password
    sentinel = Sentinel(sentinels, sentinel_kwargs=sentinel_options, **options)
    return sentinel.master_for(config.store_sentinel_master)
