"""HTTP for the client, on the standard library only (``urllib``).

One :class:`Transport` per client: the base URL, the bearer token and the timeout.
It maps answers to :mod:`registry_client.errors` in one place.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote

from registry_client.errors import (
    AuthenticationError,
    InstanceGoneError,
    RegistryUnavailableError,
    RequestRejectedError,
)

USER_AGENT = "a8registry-python-client/0.1"


@dataclass(frozen=True)
class Answer:
    """A successful (2xx) or not-modified (304) answer."""

    status: int
    #: Header names in lower case.
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Transport:
    """Requests to one registry, with its token; see :meth:`request`."""

    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"registry URL must be http:// or https://: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request; return a 2xx or 304 answer.

        Raises :class:`RegistryUnavailableError` (no answer, 5xx),
        :class:`AuthenticationError` (401), :class:`InstanceGoneError` (404, 410)
        and :class:`RequestRejectedError` (any other 4xx).
        """
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self._token:
            sent["Authorization"] = f"Bearer {self._token}"
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        url = self.base_url + path
        request = urllib.request.Request(url, data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Answer(
                    response.status, _headers(response.headers), response.read()
                )
        except urllib.error.HTTPError as answer:
            with answer:
                return self._refused(method, url, answer)
        except OSError as err:  # URLError and timeouts are OSErrors
            reason = getattr(err, "reason", err)
            raise RegistryUnavailableError(f"{method} {url}: {reason}") from err

    def _refused(self, method: str, url: str, answer: urllib.error.HTTPError) -> Answer:
        status = answer.code
        body = answer.read()
        if status == 304:
            return Answer(status, _headers(answer.headers), b"")
        text = _error_text(body)
        if status >= 500:
            message = f"{method} {url}: {status} {text}".rstrip()
            raise RegistryUnavailableError(message, status)
        if status == 401:
            raise AuthenticationError(status, text)
        if status in (404, 410):
            raise InstanceGoneError(status, text)
        raise RequestRejectedError(status, text)


def _headers(message: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in message.items()}


def _error_text(body: bytes) -> str:
    """The registry's ``{"Error": "..."}`` text, or the body as it came."""
    try:
        document = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip()
    if isinstance(document, dict) and isinstance(document.get("Error"), str):
        return str(document["Error"])
    return body.decode(errors="replace").strip()


def path_segment(value: str) -> str:
    """``value`` percent-encoded as one path segment."""
    return quote(value, safe="")
