"""What the client raises. Every error is a :class:`RegistryError`::

RegistryError
├── RegistryUnavailableError   no answer (refused, timeout), or a 5xx/503
├── AuthenticationError        401: a missing or wrong token for the auth mode
├── RequestRejectedError       another 4xx, with the registry's error text
│   └── InstanceGoneError      404/410: the registry does not know the instance
└── NoInstanceError            pick() found no instance of the service to use
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base class of every error of :mod:`registry_client`."""


class RegistryUnavailableError(RegistryError):
    """The registry did not answer, or answered with a server error."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        #: The HTTP status when there was an answer (5xx), else ``None``.
        self.status = status


class RequestRejectedError(RegistryError):
    """The registry refused the request (4xx); ``text`` is its ``Error`` text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text}" if text else str(status))
        self.status = status
        self.text = text


class AuthenticationError(RequestRejectedError):
    """401: the token is missing or does not grant a namespace."""


class InstanceGoneError(RequestRejectedError):
    """The registry does not know the instance (deregistered or expired)."""


class NoInstanceError(RegistryError):
    """No instance of the service (with the tags asked for) is available."""

    def __init__(self, service: str, tags: tuple[str, ...] = ()) -> None:
        wanted = f" with tags {', '.join(tags)}" if tags else ""
        super().__init__(f"no instance of {service!r}{wanted} is UP")
        self.service = service
        self.tags = tags
