"""Which API answers which paths, so what no view handles is answered in its format.

Each API declares an :class:`HttpApi`: the path prefixes it is served under, its
:class:`~registry.http.errors.ErrorFormat`, and which of the middleware's checks
apply to it. The ``REGISTRY_HTTP_APIS`` setting lists them (dotted paths), first
match first; the last one should claim ``"/"`` (every other path). Used by
Django's ``handler404``/``handler500`` (:func:`not_found_view`,
:func:`server_error_view`) and by the middleware for its refusals and checks; the
views themselves pick their format through DRF's exception handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from registry.http.errors import ErrorFormat


@dataclass(frozen=True, slots=True)
class HttpApi:
    """An API served by this process, as the middleware and error handlers see it."""

    #: ``path_info`` prefixes of its routes (``"/"`` matches every path).
    prefixes: tuple[str, ...]
    errors: ErrorFormat
    #: Request bodies must be JSON (else 415, before routing).
    json_bodies: bool = True
    #: Redirected to ``https://`` when ``require_https`` is on (spec §3.6).
    https_only: bool = True


@cache
def _apis() -> tuple[HttpApi, ...]:
    apis = tuple(import_string(name) for name in settings.REGISTRY_HTTP_APIS)
    if not apis:
        raise ValueError("REGISTRY_HTTP_APIS lists no API")
    return apis


def api_for_path(path: str) -> HttpApi:
    """The API serving ``path`` (a ``path_info``); the last one if none claims it."""
    apis = _apis()
    for api in apis:
        if path.startswith(api.prefixes):
            return api
    return apis[-1]


def not_found_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """Django's ``handler404``: unknown paths, in the format of their API."""
    return api_for_path(request.path_info).errors.not_found(request)


def server_error_view(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: uncaught exceptions, in the format of their API."""
    return api_for_path(request.path_info).errors.server_error(request)
