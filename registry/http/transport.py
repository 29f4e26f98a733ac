"""How a request reached us (scheme, host) and what it may carry; shared by both
APIs and the middleware."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

#: The largest request body accepted, by every API and codec: registrations are a
#: few kilobytes at most.
MAX_BODY_BYTES = 1024 * 1024
#: The deepest nesting a request body may have, JSON (objects and arrays) or XML
#: (elements): a registration is 2-3 levels plus its metadata.
MAX_BODY_DEPTH = 32


def is_secure(meta: Mapping[str, Any]) -> bool:
    """Spec §3.6: TLS, an https URL, or a proxy's ``X-Forwarded-Proto``/``$WSSC``."""
    return (
        meta.get("wsgi.url_scheme") == "https"
        or meta.get("HTTP_X_FORWARDED_PROTO") == "https"
        or meta.get("HTTP_$WSSC") == "https"
    )


def base_url(meta: Mapping[str, Any]) -> str:
    """``http(s)://<Host header>``, the base of the links the API hands out."""
    scheme = "https" if is_secure(meta) else "http"
    return f"{scheme}://{meta.get('HTTP_HOST', '')}"


#: What a path keeps unescaped when rebuilt: RFC 3986 ``pchar`` and ``/`` (letters,
#: digits and ``-._~`` are always kept).
_PATH_SAFE: Final = "/:@!$&'()*+,;="


def request_uri(meta: Mapping[str, Any]) -> str:
    """The request target (path and query) as the client sent it, as far as known.

    ``meta`` is a Django request's ``META``. gunicorn gives the target as
    ``RAW_URI``. granian gives no raw URI, only the percent-decoded path and the
    query as sent (``QUERY_STRING``); Django has decoded the path as UTF-8
    (``SCRIPT_NAME`` + ``PATH_INFO``). The path is escaped again, so an escape the
    client sent for a character that needs none (``%2F``, ``%7E``) comes back as
    that character, and bytes that are not UTF-8 (which Django keeps as ``%XX``
    text) come back as ``%25XX`` (docs/compatibility.md).
    """
    raw: str | None = meta.get("RAW_URI")
    if raw:
        return raw
    decoded = meta.get("SCRIPT_NAME", "") + meta.get("PATH_INFO", "")
    path = quote(decoded.encode(), safe=_PATH_SAFE) or "/"
    query = meta.get("QUERY_STRING")
    return f"{path}?{query}" if query else path
