"""Gzip negotiation (RFC 9110), then ``Content-Length`` and ``Vary: Accept-Encoding``.

A :class:`~registry.http.cache.CachedBodyResponse` gives its cached gzip form, so
a cached listing is compressed once, not per request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.http.cache import CachedBodyResponse, gzip_bytes
from registry.http.headers import set_header

#: Bodies shorter than this are sent as they are even when gzip is acceptable.
GZIP_MIN_BYTES = 256


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
                set_header(response, "Content-Length", str(len(response.content)))
        vary = response.get("Vary")
        set_header(
            response, "Vary", f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        )
        return response


def _negotiate_gzip(accept_encoding: str, response: HttpResponse) -> None:
    if len(response.content) < GZIP_MIN_BYTES or response.has_header(
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


def accepts_gzip(accept_encoding: str) -> bool:
    """RFC 9110 negotiation: ``gzip`` (or ``*``) with a non-zero q-value."""
    wildcard = False
    for element in accept_encoding.split(","):
        coding, _, params = element.partition(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        quality = _quality(params)
        if coding == "*":
            wildcard = quality > 0
            continue
        return quality > 0
    return wildcard


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
