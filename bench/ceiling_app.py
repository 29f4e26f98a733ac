"""The ceiling: a bare app sending one constant body, for granian and gunicorn.

Its size comes from ``A8_BENCH_BODY_BYTES``. ``rsgi_app`` hands it to granian in one
``response_bytes`` call (as the registry sends a cached body under granian);
``wsgi_app`` returns it as a one-item list (gunicorn sends it with one ``sendall``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

BODY = b"x" * int(os.environ.get("A8_BENCH_BODY_BYTES", "2"))
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def wsgi_app(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]


class _RSGIApp:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        protocol.response_bytes(200, HEADERS[:1], BODY)


rsgi_app = _RSGIApp()
