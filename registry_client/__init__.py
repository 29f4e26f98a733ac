"""A Python client of the registry (``docs/client.md``).

::

    from registry_client import RegistryClient

    with RegistryClient("http://registry:8080", token="tenant-a") as registry:
        registry.register("reviews", "10.0.0.5:9080", tags=["v1"])
        ratings = registry.pick("ratings", tags=["v2"])
        print(ratings.endpoint)

Registering starts a heartbeat thread that registers again when the registry
forgot the instance; closing deregisters. Discovery is cached, kept fresh with
conditional requests, and served from the last good copy when the registry is
down.
"""

from __future__ import annotations

from registry_client.client import RegistryClient
from registry_client.discovery import ServiceCache, Snapshot, Strategy
from registry_client.errors import (
    AuthenticationError,
    InstanceGoneError,
    NoInstanceError,
    RegistryError,
    RegistryUnavailableError,
    RequestRejectedError,
)
from registry_client.models import Instance
from registry_client.registration import Registration

__all__ = [
    "AuthenticationError",
    "Instance",
    "InstanceGoneError",
    "NoInstanceError",
    "Registration",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailableError",
    "RequestRejectedError",
    "ServiceCache",
    "Snapshot",
    "Strategy",
]
