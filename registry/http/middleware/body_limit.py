"""Refuse request bodies over :data:`~registry.http.transport.MAX_BODY_BYTES` (413),
and read chunked ones.

Django only reads ``Content-Length`` bytes, so a chunked body would look empty; it
is read here (up to the limit) and handed to Django as the body. A chunked body
whose framing is broken (a chunk size like ``zz``) makes the server's reader raise
(gunicorn: ``InvalidChunkSize``); that is the client's error, a 400, never a 500.
Under granian the body was already read by the RSGI front (:mod:`registry.http.rsgi`),
which records a broken or late body in the environ: a 400 or a 408 here. The 413,
the 400 and the 408 are written in the error format of the API serving the path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.http.apis import api_for_path
from registry.http.rsgi import BODY_ERROR_KEY, DRAIN_LIMIT_BYTES
from registry.http.transport import MAX_BODY_BYTES

BODY_TOO_LARGE = f"Request body exceeded {MAX_BODY_BYTES} bytes"
MALFORMED_BODY = "Malformed request body"
BODY_TIMED_OUT_MESSAGE = "Request body not received within body_read_timeout"


class BodyLimitMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return _read_body_within_limit(request) or self.get_response(request)


def _read_body_within_limit(request: HttpRequest) -> HttpResponse | None:
    meta = request.META
    body_error = meta.get(BODY_ERROR_KEY)
    if body_error is not None:  # the RSGI front could not read the body
        message = BODY_TIMED_OUT_MESSAGE if body_error == 408 else MALFORMED_BODY
        return api_for_path(request.path_info).errors.response(body_error, message)
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        _discard(meta["wsgi.input"], min(length, DRAIN_LIMIT_BYTES))
        return _too_large(request)
    chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not meta.get("CONTENT_LENGTH"):
        try:
            body = meta["wsgi.input"].read(MAX_BODY_BYTES + 1)
        except Exception:  # whatever the server's reader raises on bad framing
            return api_for_path(request.path_info).errors.response(400, MALFORMED_BODY)
        if len(body) > MAX_BODY_BYTES:
            return _too_large(request)
        request._body = body  # Django's cached body
        meta["CONTENT_LENGTH"] = str(len(body))
    return None


def _too_large(request: HttpRequest) -> HttpResponse:
    return api_for_path(request.path_info).errors.response(413, BODY_TOO_LARGE)


def _discard(stream: Any, length: int) -> None:
    """Read and drop a refused body, so the keep-alive connection stays in step.

    Gunicorn ignores an application's ``Connection: close``; a body left unread
    would be parsed as the next request.
    """
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            return
        length -= len(chunk)
