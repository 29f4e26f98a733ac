"""HTTP errors of the native API and the one place domain errors become HTTP.

Every error body is ``{"Error": "<text>"}`` (spec §2.3, decision Q1).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from registry.store.errors import StoreError, StoreUnavailableError

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

NOT_FOUND = "Resource not found"
METHOD_NOT_ALLOWED = "Method not allowed"
UNSUPPORTED_MEDIA_TYPE = "Bad Content-Type or charset, expected 'application/json'"
INTERNAL_SERVER_ERROR = "Internal Server Error"
STORE_UNAVAILABLE = "Registry store unavailable, try again later"


class RegistryError(exceptions.APIException):
    """An API error with an exact status and client-facing text."""

    def __init__(self, status_code: int, text: str) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.text = text


class JsonResponse(HttpResponse):
    """Pre-encoded JSON bytes with the registry's content type (no renderer pass)."""

    def __init__(self, body: bytes = b"", status: int = 200) -> None:
        super().__init__(body, status=status, content_type=JSON_CONTENT_TYPE)


def error_response(status_code: int, text: str) -> JsonResponse:
    return JsonResponse(orjson.dumps({"Error": text}), status=status_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's ``EXCEPTION_HANDLER``: every known error as ``{"Error": ...}``.

    (The middleware empties error bodies on the Eureka API, whatever made them.)
    """
    if isinstance(exc, RegistryError):
        return error_response(exc.status_code, exc.text)
    if isinstance(exc, StoreUnavailableError):
        return error_response(status.HTTP_503_SERVICE_UNAVAILABLE, STORE_UNAVAILABLE)
    if isinstance(exc, StoreError):
        return None  # a view let a domain error through: a bug, answer 500
    if isinstance(exc, exceptions.MethodNotAllowed):
        not_allowed = error_response(
            status.HTTP_405_METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED
        )
        view = context.get("view")
        if view is not None:
            not_allowed["Allow"] = ", ".join(view.allowed_methods)
        return not_allowed
    if isinstance(exc, exceptions.NotFound):
        return error_response(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    if isinstance(exc, exceptions.APIException):
        return _with_error_body(drf_exception_handler(exc, context), str(exc.detail))
    return None


def _with_error_body(response: HttpResponse | None, text: str) -> HttpResponse | None:
    if response is None:
        return None
    error = error_response(response.status_code, text)
    for header in ("Allow", "WWW-Authenticate", "Retry-After"):
        if header in response:
            error[header] = response[header]
    return error


def not_found_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """Django's ``handler404``: unknown paths."""
    return error_response(status.HTTP_404_NOT_FOUND, NOT_FOUND)


def server_error_view(request: HttpRequest) -> HttpResponse:
    """Django's ``handler500``: unhandled exceptions (spec §2.6)."""
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, INTERNAL_SERVER_ERROR)
