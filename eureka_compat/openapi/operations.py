"""``extend_schema`` for one Eureka operation, with what every route shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from eureka_compat.formats import JSON, XML
from eureka_compat.openapi.examples import example
from registry.http.openapi import REQUEST_LINE_TOO_LONG, header

TAG = "eureka"


def empty(description: str) -> OpenApiResponse:
    """A response without a body (Eureka's errors have none)."""
    return OpenApiResponse(description=f"{description} Empty body.")


_FORMATS = (
    "JSON when the request's `Accept` contains `json`, otherwise XML (XStream layout; "
    "no `Accept`, `*/*` and `text/html` get XML): the same members, `@name` ones as "
    "attributes, `$` as the element's text, lists as repeated elements."
)
_COMMON = {
    301: empty("`require_https` is on and the request was not HTTPS: see `Location`."),
    401: empty("No namespace for this request (see `bearerAuth` and `token`)."),
    405: empty("Any other method on this path, HEAD and OPTIONS included."),
    414: OpenApiResponse(description=REQUEST_LINE_TOO_LONG),
    500: empty("Unexpected server failure."),
    503: empty("The storage backend cannot be reached; retry later."),
}
_HEADERS = [
    header("X-Request-Id", "Sent: an id (1-200 visible ASCII) to echo.", False),
    header("REQUEST_ID", "The request id (the client's `X-Request-Id` if valid)."),
    header("X-Request-Id", "Same value as `REQUEST_ID`."),
    header("Vary", "`Accept-Encoding`."),
    header("Location", "The same URL with `https://`.", [301]),
    header("WWW-Authenticate", '`Bearer realm="registry"`.', [401]),
    header("Allow", "The methods this path serves.", [405]),
]
_GET_HEADERS = [
    header("If-None-Match", "An earlier `ETag`, or `*`: 304 while it matches.", False),
    header("ETag", "Weak validator of this representation.", [200, 304]),
    header("Content-Encoding", "`gzip` if accepted and 256 bytes or more.", [200]),
]
_SERVED = (
    "\n\nServed under `/eureka/v2/`, `/eureka/` and `/api/eureka/{token}/v2/`. The "
    "namespace comes from `Authorization: Bearer <token>` (as on `/api/v1`) or, "
    "without that header, from the path's `token`. Errors have empty bodies."
)


def operation(
    operation_id: str,
    summary: str,
    description: str,
    responses: dict[Any, Any],
    method: str = "GET",
    parameters: Sequence[OpenApiParameter] = (),
    request: Any = None,
) -> Any:
    """``extend_schema`` with what every Eureka operation shares."""
    merged = {**_COMMON, **responses}
    if method == "GET":
        merged[304] = empty("`If-None-Match` matches the current `ETag`.")
    get_headers = _GET_HEADERS if method == "GET" else []
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description + _SERVED,
        tags=[TAG],
        request=request,
        responses=dict(sorted(merged.items(), key=_status_code)),
        parameters=[*parameters, *get_headers, *_HEADERS],
    )


def _status_code(item: tuple[int | tuple[int, str], Any]) -> int:
    key = item[0]
    return key if isinstance(key, int) else key[0]


def get_operation(
    operation_id: str,
    summary: str,
    description: str,
    shape: Any,
    examples: dict[str, dict[str, Any]],
    not_found: str = "",
    parameters: Sequence[OpenApiParameter] = (),
) -> Any:
    """A GET answering a Eureka document in JSON or XML (and 404 if ``not_found``)."""
    responses: dict[Any, Any] = {
        (200, media_type): OpenApiResponse(
            shape,
            description=_FORMATS,
            examples=[example(k, v, media_type) for k, v in examples.items()],
        )
        for media_type in (JSON, XML)
    }
    if not_found:
        responses[404] = empty(not_found)
    return operation(operation_id, summary, description, responses, "GET", parameters)
