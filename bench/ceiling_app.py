"""The ceiling: a bare app sending one constant body, for granian and gunicorn.

Its size comes from ``A8_BENCH_BODY_BYTES``. ``rsgi_app`` hands it to granian in one
``response_bytes`` call (as the registry sends a cached body under granian), or in
pieces of ``A8_BENCH_PIECE_BYTES`` on a response stream (as it sends a body kept
compressed; granian copies a body above about 7 MiB much more slowly in one call);
``wsgi_app`` returns it as a one-item list (gunicorn sends it with one ``sendall``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

BODY = b"x" * int(os.environ.get("A8_BENCH_BODY_BYTES", "2"))
PIECE_BYTES = int(os.environ.get("A8_BENCH_PIECE_BYTES", "0"))
PIECES = (
    [BODY[at : at + PIECE_BYTES] for at in range(0, len(BODY), PIECE_BYTES)]
    if PIECE_BYTES
    else []
)
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def wsgi_app(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]


class _RSGIApp:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if not PIECE_BYTES:
            protocol.response_bytes(200, HEADERS[:1], BODY)
            return
        transport = protocol.response_stream(200, HEADERS)
        for piece in PIECES:
            await transport.send_bytes(piece)


rsgi_app = _RSGIApp()
