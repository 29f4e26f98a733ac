"""Errors as HTTP, for both APIs: each API's error format is an :class:`ErrorFormat`.

Exceptions a view raises reach DRF's exception handler, which is the view's API's
:meth:`ErrorFormat.handle_exception` (the native API's is the ``EXCEPTION_HANDLER``
setting; the Eureka views override ``get_exception_handler()``). What no view
handles (unknown paths, uncaught exceptions, the middleware's refusals) is answered
in the format of the API that serves the path (:mod:`registry.http.apis`).

The tree::

    rest_framework.exceptions.APIException
     └── RegistryError       an exact status and client-facing text
    registry.store.errors.StoreError
     ├── StoreUnavailableError   -> 503
     └── (any other)             a view let a domain error through: 500
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from registry.http.headers import BytesResponse
from registry.store.errors import StoreError, StoreUnavailableError

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

#: Headers of DRF's own error responses that an API's error keeps.
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class RegistryError(exceptions.APIException):
    """An API error with an exact status and client-facing text."""

    def __init__(self, status_code: int, text: str) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.text = text


class JsonResponse(BytesResponse):
    """Pre-encoded JSON bytes with the registry's content type (no renderer pass);
    another content type of the registry's own if given (Eureka's)."""

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str = JSON_CONTENT_TYPE,
    ) -> None:
        super().__init__(body, status, content_type)


class ErrorFormat(ABC):
    """How one API writes its errors: the one place it maps exceptions to HTTP.

    A subclass gives :meth:`response` and, if its bodies carry text, the texts.
    """

    not_found_text = ""
    method_not_allowed_text = ""
    store_unavailable_text = ""
    server_error_text = ""
    unsupported_media_type_text = ""

    @abstractmethod
    def response(self, status_code: int, text: str) -> HttpResponse:
        """An error response of this API with ``status_code`` and ``text``."""

    def handle_exception(
        self, exc: Exception, context: dict[str, Any]
    ) -> HttpResponse | None:
        """DRF's exception handler: ``None`` lets the exception through (500)."""
        if isinstance(exc, RegistryError):
            return self.response(exc.status_code, exc.text)
        if isinstance(exc, StoreUnavailableError):
            unavailable = self.response(
                status.HTTP_503_SERVICE_UNAVAILABLE, self.store_unavailable_text
            )
            # Django logs every 5xx as an error; the store's circuit logs the
            # outage once instead of a line per refused request.
            unavailable._has_been_logged = True  # type: ignore[attr-defined]
            return unavailable
        if isinstance(exc, StoreError):
            return None  # a view let a domain error through: a bug, answer 500
        if isinstance(exc, exceptions.MethodNotAllowed):
            not_allowed = self.response(
                status.HTTP_405_METHOD_NOT_ALLOWED, self.method_not_allowed_text
            )
            view = context.get("view")
            if view is not None:
                not_allowed["Allow"] = ", ".join(view.allowed_methods)
            return not_allowed
        if isinstance(exc, exceptions.NotFound):
            return self.response(status.HTTP_404_NOT_FOUND, self.not_found_text)
        if isinstance(exc, exceptions.APIException):
            return self._from_drf(drf_exception_handler(exc, context), str(exc.detail))
        return None

    def _from_drf(
        self, response: HttpResponse | None, text: str
    ) -> HttpResponse | None:
        if response is None:
            return None
        error = self.response(response.status_code, text)
        for header in _KEPT_HEADERS:
            if header in response:
                error[header] = response[header]
        return error

    def not_found(self, request: HttpRequest) -> HttpResponse:
        """An unknown path (Django's ``handler404``)."""
        return self.response(status.HTTP_404_NOT_FOUND, self.not_found_text)

    def server_error(self, request: HttpRequest) -> HttpResponse:
        """An uncaught exception (Django's ``handler500``, spec §2.6)."""
        return self.response(
            status.HTTP_500_INTERNAL_SERVER_ERROR, self.server_error_text
        )
