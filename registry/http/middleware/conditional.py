"""Conditional GET: a 200 GET gets an ``ETag``; a matching ``If-None-Match``, a 304."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.http.headers import set_header


class ConditionalGetMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and isinstance(response, HttpResponse)
        ):
            return _conditional(request, response)
        return response


def _conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    etag = response.get("ETag")
    if etag is None:
        digest = hashlib.blake2b(response.content, digest_size=12).hexdigest()
        etag = f'W/"{digest}"'
        set_header(response, "ETag", etag)
    if _etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        not_modified = HttpResponse(status=304)
        del not_modified["Content-Type"]
        not_modified["ETag"] = etag
        return not_modified
    return response


def _etag_matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque
        for candidate in if_none_match.split(",")
    )
