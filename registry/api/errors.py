"""The native API's error format, and its error texts.

Every error body is ``{"Error": "<text>"}`` (spec §2.3, decision Q1). The native
format also answers paths outside both APIs (``/``, ``/uptime``, unknown paths), as
the original does; only ``/api/`` paths are redirected to HTTPS (spec §3.6).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse

from registry.http.apis import HttpApi
from registry.http.errors import ErrorFormat, JsonResponse

NOT_FOUND = "Resource not found"
METHOD_NOT_ALLOWED = "Method not allowed"
UNSUPPORTED_MEDIA_TYPE = "Bad Content-Type or charset, expected 'application/json'"
INTERNAL_SERVER_ERROR = "Internal Server Error"
STORE_UNAVAILABLE = "Registry store unavailable, try again later"

SERVICE_LOOKUP_FAILED = "Failed to enumerate service names"
INSTANCE_NOT_FOUND = "Instance not found"
DEREGISTRATION_FAILED = "Failed to deregister instance"
RENEWAL_FAILED = "Failed to renew instance registration"

#: Texts of the length checks (decision Q4: real texts instead of raw message ids).
TOO_LONG_TEXTS = {
    "service_name": "Service name exceeded 64 bytes",
    "endpoint": (
        "Failed to register the instance because endpoint value exceeded 128 bytes"
    ),
    "status": "Status exceeded 32 bytes",
    "metadata": "Metadata exceeded 1024 bytes",
}


def error_response(status_code: int, text: str) -> JsonResponse:
    return JsonResponse(orjson.dumps({"Error": text}), status=status_code)


class NativeErrorFormat(ErrorFormat):
    """``{"Error": "<text>"}`` with the original's texts."""

    not_found_text = NOT_FOUND
    method_not_allowed_text = METHOD_NOT_ALLOWED
    store_unavailable_text = STORE_UNAVAILABLE
    server_error_text = INTERNAL_SERVER_ERROR
    unsupported_media_type_text = UNSUPPORTED_MEDIA_TYPE

    def response(self, status_code: int, text: str) -> HttpResponse:
        return error_response(status_code, text)


NATIVE_ERRORS = NativeErrorFormat()

#: ``/api/v1`` and the schema and docs under ``/api/``.
NATIVE_API = HttpApi(("/api/",), NATIVE_ERRORS)
#: Every other path: the health probes, the docs' assets, unknown paths.
OTHER_PATHS = HttpApi(("/",), NATIVE_ERRORS, https_only=False)


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's ``EXCEPTION_HANDLER`` (the native views'): ``{"Error": ...}`` bodies."""
    return NATIVE_ERRORS.handle_exception(exc, context)
