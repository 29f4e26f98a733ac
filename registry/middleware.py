"""The registry's one middleware: what every response shares (spec §2).

In order: request id, the 415 content-type check (before routing, every path), the
HTTPS redirect (``/api/`` paths only), then the view; on the way out conditional GET
(ETag / 304), gzip negotiation, the common headers and one access-log line.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import random
import re
import string
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.api.cache import gzip_bytes
from registry.api.errors import (
    JSON_CONTENT_TYPE,
    UNSUPPORTED_MEDIA_TYPE,
    error_response,
)
from registry.api.transport import is_eureka_path, is_secure
from registry.runtime import get_runtime

access_log = logging.getLogger("registry.access")

#: Bodies shorter than this are sent as they are even when gzip is acceptable.
GZIP_MIN_BYTES = 256
#: The largest request body accepted: registrations are a few kilobytes at most.
MAX_BODY_BYTES = 1024 * 1024
BODY_TOO_LARGE = f"Request body exceeded {MAX_BODY_BYTES} bytes"
#: A refused body is read and dropped up to this size (larger ones may cost the
#: client its connection).
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
_VALID_REQUEST_ID = re.compile(r"[!-~]{1,200}")


class RequestIds:
    """``<10 letters>_<unix ns>_<counter>`` (spec §2.4); the prefix is per process."""

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._counter = itertools.count(1)

    def next(self) -> str:
        if self._pid != os.getpid():  # a forked worker gets its own prefix
            self._pid = os.getpid()
            self._prefix = "".join(random.choices(string.ascii_letters, k=10))
        return f"{self._prefix}_{time.time_ns()}_{next(self._counter)}"


class RegistryMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.request_ids = RequestIds()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        meta = request.META
        incoming = meta.get("HTTP_X_REQUEST_ID", "")
        request_id = (
            incoming
            if _VALID_REQUEST_ID.fullmatch(incoming)
            else self.request_ids.next()
        )
        eureka = is_eureka_path(request.path_info)
        response = self._precheck(request, eureka) or self.get_response(request)
        if eureka and response.status_code >= 400:
            _empty_error_body(response)
        if request.method == "GET" and response.status_code == 200:
            response = _conditional(request, response)
        _negotiate_gzip(meta.get("HTTP_ACCEPT_ENCODING", ""), response)
        if isinstance(response, HttpResponse) and response.status_code != 304:
            response["Content-Length"] = str(len(response.content))
        response["REQUEST_ID"] = request_id
        response["X-Request-Id"] = request_id
        vary = response.get("Vary")
        response["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        if access_log.isEnabledFor(logging.INFO):
            _log_access(request, response, request_id, started)
        return response

    def _precheck(self, request: HttpRequest, eureka: bool) -> HttpResponseBase | None:
        meta = request.META
        path = request.path_info
        too_large = _read_body_within_limit(request)
        if too_large is not None:
            return too_large
        # Eureka reads XML too; its views check their own content types.
        if (
            not eureka
            and _has_body(meta)
            and not _is_json(meta.get("CONTENT_TYPE", ""))
        ):
            return error_response(415, UNSUPPORTED_MEDIA_TYPE)
        if (
            (eureka or path.startswith("/api/"))
            and get_runtime().config.require_https
            and not is_secure(meta)
        ):
            return _https_redirect(request)
        return None


def _empty_error_body(response: HttpResponseBase) -> None:
    """Eureka errors have no body (Spring's strict reader would parse one):
    whatever produced ``{"Error": ...}`` (views, 404s, 500s, the checks here),
    it goes. A registration's ``text/plain`` reason stays, as Eureka sends one."""
    if (
        isinstance(response, HttpResponse)
        and response.get("Content-Type") == JSON_CONTENT_TYPE
    ):
        response.content = b""


def _read_body_within_limit(request: HttpRequest) -> HttpResponse | None:
    """Refuse bodies over :data:`MAX_BODY_BYTES` (413), and read chunked ones.

    Django only reads ``Content-Length`` bytes, so a chunked body would look
    empty; it is read here (up to the limit) and handed to Django as the body.
    """
    meta = request.META
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        _discard(meta["wsgi.input"], min(length, DRAIN_LIMIT_BYTES))
        return error_response(413, BODY_TOO_LARGE)
    chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not meta.get("CONTENT_LENGTH"):
        body = meta["wsgi.input"].read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return error_response(413, BODY_TOO_LARGE)
        request._body = body  # Django's cached body
        meta["CONTENT_LENGTH"] = str(len(body))
    return None


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


def _has_body(meta: dict[str, str]) -> bool:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return False


def _is_json(content_type: str) -> bool:
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if (
            name.strip().lower() == "charset"
            and value.strip().strip('"').lower() != "utf-8"
        ):
            return False
    return True


def _https_redirect(request: HttpRequest) -> HttpResponse:
    # The URI exactly as the client sent it (gunicorn's RAW_URI) keeps every
    # escape, %2F included; get_full_path() re-escapes the decoded path otherwise.
    uri = request.META.get("RAW_URI") or request.get_full_path()
    location = f"https://{request.META.get('HTTP_HOST', '')}{uri}"
    response = HttpResponse(status=301, content_type=JSON_CONTENT_TYPE)
    response["Location"] = location
    return response


def _conditional(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Give every GET an ETag and answer a matching ``If-None-Match`` with 304."""
    if not isinstance(response, HttpResponse):
        return response
    etag = response.get("ETag")
    if etag is None:
        digest = hashlib.blake2b(response.content, digest_size=12).hexdigest()
        etag = response["ETag"] = f'W/"{digest}"'
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


def _negotiate_gzip(accept_encoding: str, response: HttpResponseBase) -> None:
    if not isinstance(response, HttpResponse) or not accept_encoding:
        return
    if len(response.content) < GZIP_MIN_BYTES or response.has_header(
        "Content-Encoding"
    ):
        return
    if not accepts_gzip(accept_encoding):
        return
    cached = getattr(response, "cached_body", None)
    response.content = (
        cached.gzipped() if cached is not None else gzip_bytes(response.content)
    )
    response["Content-Encoding"] = "gzip"


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


def _log_access(
    request: HttpRequest, response: HttpResponseBase, request_id: str, started: float
) -> None:
    meta = request.META
    client = meta.get("HTTP_X_CLIENT_IP") or meta.get("REMOTE_ADDR", "")
    path = meta.get("RAW_URI") or request.get_full_path()  # as sent, when known
    size = len(response.content) if isinstance(response, HttpResponse) else 0
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
                "namespace": getattr(request, "registry_namespace", ""),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "request_id": request_id,
                "bytes": size,
            }
        },
    )
