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
            accept_encoding = request.META.get("HTTP_ACCEPT_ENCODING", "")
            if accept_encoding:
                _negotiate_gzip(accept_encoding, response)
            if response.status_code != 304:
                set_header(response, "Content-Length", str(content_length(response)))
        vary = response.get("Vary")
        set_header(
            response, "Vary", f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        )
        return response


def _negotiate_gzip(accept_encoding: str, response: HttpResponse) -> None:
    if content_length(response) < GZIP_MIN_BYTES or response.has_header(
        "Content-Encoding"
    ):
        return
    if not accepts_gzip(accept_encoding):
        return
    response.content = (
        response.cached.gzipped()
        if isinstance(response, CachedBodyResponse)
        else gzip_bytes(response.content)
    )
    set_header(response, "Content-Encoding", "gzip")
