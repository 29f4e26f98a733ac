"""Parameters of the native API (the helpers are :mod:`registry.http.openapi`'s)."""

from __future__ import annotations

from collections.abc import Sequence

from drf_spectacular.utils import OpenApiExample, OpenApiParameter

from registry.api.selection import SELECTION_FIELDS, STATUS, STATUS_ALL
from registry.http.fields import FieldSpec, json_schema
from registry.http.openapi import header, path, query

# --- headers --------------------------------------------------------------------

REQUEST_ID_REQUEST = header(
    "X-Request-Id",
    "Optional request id to use for this request (1-200 visible ASCII characters); "
    "otherwise one is generated. Echoed in `REQUEST_ID` and `X-Request-Id`.",
    False,
)
IF_NONE_MATCH = header(
    "If-None-Match",
    "An `ETag` from an earlier answer, or `*`: 304 while it matches.",
    False,
)
_COMMON_RESPONSE_HEADERS = [
    header(
        "REQUEST_ID",
        "Request id: `<10 letters>_<unix ns>_<counter>`, or the client's "
        "`X-Request-Id`.",
    ),
    header("X-Request-Id", "Same value as `REQUEST_ID`."),
    header("Vary", "Always `Accept-Encoding`."),
]


def response_headers(
    *, api: bool, etag: bool, created: bool, body: Sequence[int]
) -> list[OpenApiParameter]:
    """The response headers of an operation.

    ``api``: an ``/api/`` route; ``etag``: a GET; ``created``: answers 201;
    ``body``: the success statuses that have a body.
    """
    headers = list(_COMMON_RESPONSE_HEADERS)
    if body:
        headers.append(
            header(
                "Content-Encoding",
                "`gzip` when `Accept-Encoding` allows it and the body has at least 256 "
                "bytes (error bodies are always shorter).",
                body,
            )
        )
    if etag:
        headers.append(
            header(
                "ETag",
                "Weak validator of the body; send it back in `If-None-Match`.",
                [200, 304],
            )
        )
    if created:
        headers.append(
            header("Location", "URL of the new instance (`links.self`).", [201])
        )
    if api:
        headers.append(header("Location", "The same URL with `https://`.", [301]))
        headers.append(header("WWW-Authenticate", '`Bearer realm="registry"`.', [401]))
    headers.append(header("Allow", "The methods this path serves.", [405]))
    return headers


# --- path and query -------------------------------------------------------------

SERVICE_NAME_PATH = path(
    "service_name",
    "Service name, percent-decoded (`a%20b` is the service `a b`).",
)
INSTANCE_ID_PATH = path(
    "instance_id", "Instance id, as returned by the registration (`id`)."
)


def selection_param(spec: FieldSpec) -> OpenApiParameter:
    """A query parameter of the listing, from the parser's table."""
    lists = {"style": "form", "explode": False} if spec.kind == "array" else {}
    examples = _SELECTION_EXAMPLES.get(spec.name, [])
    return query(
        spec.name, json_schema(spec), spec.description, examples=examples, **lists
    )


_SELECTION_EXAMPLES = {
    STATUS.name: [
        OpenApiExample("up", value="UP"),
        OpenApiExample("all", value=STATUS_ALL),
    ]
}
#: The selection of ``GET /api/v1/instances``, generated from the parser's table
#: (:data:`registry.api.selection.SELECTION_FIELDS`); see its description.
SELECTION_PARAMS = [selection_param(spec) for spec in SELECTION_FIELDS]
