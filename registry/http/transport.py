"""How a request reached us (scheme, host) and what it may carry; shared by both
APIs and the middleware."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
