"""The yardstick: the least a WSGI app can do (``ok``, 2 bytes), for granian."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"ok"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
