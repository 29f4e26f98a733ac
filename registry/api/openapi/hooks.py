"""Schema post-processing hooks (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.api.errors import (
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    UNSUPPORTED_MEDIA_TYPE,
)
from registry.http.middleware.body_limit import (
    BODY_TIMED_OUT_MESSAGE,
    BODY_TOO_LARGE,
    MALFORMED_BODY,
)
from registry.http.transport import MAX_BODY_BYTES

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

COMMON_BEHAVIOUR = f"""

### Conventions of the native API (`/api/v1`, `/`, `/uptime`)

The Eureka routes (tag `eureka`) follow Eureka's own conventions instead: empty
error bodies, JSON or XML bodies. Their operations say so.

* **Errors**: every error body is `{{"Error": "<message>"}}` (capital `E`), with
  `Content-Type: application/json; charset=utf-8`. A path that matches no route →
  404 `{NOT_FOUND}` (paths are exact: no trailing-slash variants); a known path with
  another method → 405 `{METHOD_NOT_ALLOWED}` with `Allow`.
* **Requests with a body** must be `Content-Type: application/json` (charset UTF-8)
  → else 415 `{UNSUPPORTED_MEDIA_TYPE}`, on every path outside the Eureka API.
* **Request bodies** (every path): at most {MAX_BODY_BYTES} bytes → else 413
  `{BODY_TOO_LARGE}`; broken chunked framing → 400 `{MALFORMED_BODY}`. Under
  the default server (granian) a body that has not arrived within `body_read_timeout`
  (30 s unless configured) → 408 `{BODY_TIMED_OUT_MESSAGE}`, and the connection is
  closed. The Eureka API answers these with its empty bodies.
* **Namespaces**: `/api/v1` operations act in the namespace selected by the bearer
  token (see the `bearerAuth` scheme); namespaces are isolated from each other.
* **Caching**: every successful GET carries a weak `ETag`; send it in `If-None-Match`
  to get `304 Not Modified` while nothing changed.
* **Compression**: bodies of 256 bytes or more are gzip-compressed when
  `Accept-Encoding` allows it (q-values honoured); `Vary: Accept-Encoding` always.
* **Request ids**: every response carries `REQUEST_ID` and `X-Request-Id` (the
  client's own `X-Request-Id` when it sends a valid one).
* **HTTPS**: with `require_https` on, `/api/` and `/eureka/` requests that did not
  arrive over HTTPS (`X-Forwarded-Proto: https` counts) are redirected (301).
"""


def describe_common_behaviour(
    result: dict[str, Any],
    generator: SchemaGenerator,
    request: Request | None,
    public: bool,
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: what every route shares goes in ``info``."""
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + COMMON_BEHAVIOUR
    return result
