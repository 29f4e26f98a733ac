"""One ``registry.access`` log line per response, as it is sent (outermost)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.http.cache import content_length
from registry.http.context import request_context
from registry.http.transport import request_uri

access_log = logging.getLogger("registry.access")


class AccessLogMiddleware:
    """Logs method, path as sent, status, namespace, duration, request id, bytes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        if access_log.isEnabledFor(logging.INFO):
            _log_access(request, response, started)
        return response


def _log_access(
    request: HttpRequest, response: HttpResponseBase, started: float
) -> None:
    meta = request.META
    context = request_context(meta)
    client = meta.get("HTTP_X_CLIENT_IP") or meta.get("REMOTE_ADDR", "")
    path = request_uri(meta)  # as sent, as far as the server tells
    size = content_length(response) if isinstance(response, HttpResponse) else 0
    access_log.info(
        "%s %s %s %s",
        client,
        request.method,
        path,
        meta.get("SERVER_PROTOCOL", ""),
        extra={
            "fields": {
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "namespace": context.namespace,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "request_id": context.request_id,
                "bytes": size,
            }
        },
    )
