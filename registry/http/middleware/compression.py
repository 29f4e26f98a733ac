"""Gzip negotiation (RFC 9110), then ``Content-Length`` and ``Vary: Accept-Encoding``.

A :class:`~registry.http.cache.CachedBodyResponse` gives its cached gzip form, so
a cached listing is compressed once, not per request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.http.cache import (
    GZIP_MIN_BYTES,
    CachedBodyResponse,
    accepts_gzip,
    content_length,
    gzip_bytes,
)
from registry.http.headers import set_header


class GzipMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if isinstance(response, HttpResponse):
            length = content_length(response)
            accept_encoding = request.META.get("HTTP_ACCEPT_ENCODING", "")
            # The cheap length test first: most answers (renewals) are empty.
            if length >= GZIP_MIN_BYTES and accept_encoding:
                length = _negotiate_gzip(accept_encoding, response, length)
            if response.status_code != 304:
                set_header(response, "Content-Length", str(length))
        vary = response.get("Vary")
        set_header(
            response, "Vary", f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        )
        return response


def _negotiate_gzip(accept_encoding: str, response: HttpResponse, length: int) -> int:
    """Gzip ``response`` if the client takes it; the body's length after."""
    if response.has_header("Content-Encoding") or not accepts_gzip(accept_encoding):
        return length
    response.content = (
        response.cached.gzipped()
        if isinstance(response, CachedBodyResponse)
        else gzip_bytes(response.content)
    )
    set_header(response, "Content-Encoding", "gzip")
    return len(response.content)
