"""Response headers the registry writes itself, set without Django's per-set checks.

Django's ``response[name] = value`` encodes the name as ASCII and the value as
ISO-8859-1 (MIME-encoding what does not fit) and refuses CR/LF, on every set: a few
microseconds each, several times per heartbeat. The headers written here have
names that are constants and values the registry made itself or validated
(digits, ETags, request ids matched against a pattern), so :func:`set_header` stores
them as Django's setter would have, and :func:`header_items` reads them back as
``response.items()`` would. ``tests/http/test_headers.py`` holds both to Django's
own behaviour, so a Django release that changes how headers are stored fails there.

:class:`BytesResponse` is the response of the hot paths: the state
``HttpResponse(body, status=..., content_type=...)`` has, set directly.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from django.http import HttpResponse, HttpResponseBase
from django.http.response import ResponseHeaders


def set_header(response: HttpResponseBase, name: str, value: str) -> None:
    """``response[name] = value`` for a printable-ASCII ``name`` and ``value``."""
    response.headers._store[name.lower()] = (name, value)


def header_items(response: HttpResponseBase) -> list[tuple[str, str]]:
    """``list(response.items())``: (name, value) in the order they were set."""
    return list(response.headers._store.values())


class BytesResponse(HttpResponse):
    """``HttpResponse(body, status=status, content_type=content_type)``, built
    without re-checking, on every response, a content type that is one of the
    registry's constants (printable ASCII) and a bytes body
    (``tests/http/test_headers.py`` holds the two to the same state)."""

    def __init__(self, body: bytes, status: int, content_type: str) -> None:
        if not 100 <= status <= 599:
            raise ValueError("HTTP status code must be an integer from 100 to 599.")
        self.headers = ResponseHeaders({})
        set_header(self, "Content-Type", content_type)
        self._charset = None
        self._resource_closers: list[Any] = []
        self._handler_class = None
        self.cookies = SimpleCookie()
        self.closed = False
        self.status_code = status
        self._reason_phrase = None
        self._container = [body if type(body) is bytes else self.make_bytes(body)]
