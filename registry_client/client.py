"""The client's front door: :class:`RegistryClient`."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from registry_client.discovery import ServiceCache, Snapshot, Strategy
from registry_client.models import Instance
from registry_client.registration import Registration
from registry_client.transport import Transport

ENDPOINT_TYPES = ("tcp", "udp", "http", "https", "user")


class RegistryClient:
    """Register our instances and discover others through one registry.

    ``token`` is sent as ``Authorization: Bearer <token>`` on every request: the
    namespace in ``trusted`` mode, a JWT in ``jwt`` mode, nothing (``None``) when
    the registry runs without an auth mode. ``cache_max_age``: how long (seconds)
    a service's instances are used before the cache asks the registry again.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 5.0,
        cache_max_age: float = 5.0,
    ) -> None:
        self.transport = Transport(url, token, timeout)
        self.cache = ServiceCache(self.transport, cache_max_age)
        self._registrations: list[Registration] = []

    def register(
        self,
        service: str,
        endpoint: str,
        *,
        endpoint_type: str = "http",
        ttl: int = 0,
        tags: tuple[str, ...] | list[str] = (),
        metadata: Any = None,
        status: str = "UP",
        heartbeat_interval: float | None = None,
    ) -> Registration:
        """Register an instance and keep it alive until it is closed.

        ``ttl`` 0 asks for the registry's default. Returns the
        :class:`Registration` (a context manager); :meth:`close` closes every
        registration of this client, and interpreter exit closes what is left.
        Raises :class:`~registry_client.errors.RequestRejectedError` for a
        registration the registry refuses (its text says why),
        :class:`~registry_client.errors.AuthenticationError` and
        :class:`~registry_client.errors.RegistryUnavailableError`.
        """
        if endpoint_type not in ENDPOINT_TYPES:
            raise ValueError(
                f"endpoint_type must be one of {', '.join(ENDPOINT_TYPES)}"
            )
        body: dict[str, Any] = {
            "service_name": service,
            "endpoint": {"type": endpoint_type, "value": endpoint},
            "status": status,
        }
        if ttl:
            body["ttl"] = ttl
        if tags:
            body["tags"] = list(tags)
        if metadata is not None:
            body["metadata"] = metadata
        registration = Registration(self.transport, body, heartbeat_interval)
        self._registrations.append(registration)
        return registration

    def services(self) -> list[str]:
        """Names of the namespace's services (not cached)."""
        names = self.transport.request("GET", "/api/v1/services").json()["services"]
        return [str(name) for name in names]

    def instances(
        self,
        service: str,
        tags: tuple[str, ...] | list[str] = (),
        status: str | None = "UP",
    ) -> list[Instance]:
        """The service's instances with every tag of ``tags`` and ``status``
        (``None``: any), from the cache."""
        return self.cache.instances(service, tuple(tags), status)

    def pick(
        self,
        service: str,
        tags: tuple[str, ...] | list[str] = (),
        strategy: Strategy = "round_robin",
    ) -> Instance:
        """One UP instance of ``service`` with ``tags``, in turn or at random.
        Raises :class:`~registry_client.errors.NoInstanceError` when none is."""
        return self.cache.pick(service, tuple(tags), strategy)

    def snapshot(self, service: str) -> Snapshot:
        """The cache's entry for ``service`` (is it ``stale``? was it a 304?)."""
        return self.cache.snapshot(service)

    def close(self) -> None:
        """Deregister every instance this client registered."""
        for registration in self._registrations:
            registration.close()
        self._registrations.clear()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
