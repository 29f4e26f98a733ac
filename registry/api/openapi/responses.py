"""Error and empty responses, and the errors every native route shares."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from registry.api.errors import (
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    STORE_UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
)
from registry.api.openapi.shapes import ErrorSerializer
from registry.http.openapi import REQUEST_LINE_TOO_LONG
from registry.resolvers import (
    InvalidTokenError,
    MalformedAuthorizationError,
    MissingTokenError,
)

Case = tuple[str, str]  # (example summary, Error text)


def errors(description: str, *cases: Case) -> OpenApiResponse:
    """An ``{"Error": ...}`` response with one example per case."""
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(f"error{index}", value={"Error": text}, summary=summary)
            for index, (summary, text) in enumerate(cases, 1)
        ],
    )


def empty(description: str) -> OpenApiResponse:
    """A response without a body."""
    return OpenApiResponse(description=description)


AUTH_FAILED_CASES: tuple[Case, ...] = (
    ("Authorization header not `Bearer <token>`", MalformedAuthorizationError.text),
    ("No token, in `trusted` or `jwt` mode", MissingTokenError.text),
    ("Token grants no namespace", InvalidTokenError.text),
)


def common_errors(*, api: bool, body: str) -> dict[int, OpenApiResponse]:
    """The errors any operation of a route can answer, whatever it does.

    ``api``: an ``/api/`` route, behind the HTTPS check, authentication and the store.
    """
    responses: dict[int, OpenApiResponse] = {
        405: errors(
            "Any other method on this path, HEAD and OPTIONS included; `Allow` lists "
            "the methods the path serves.",
            ("Method not served on this path", METHOD_NOT_ALLOWED),
        ),
        414: empty(REQUEST_LINE_TOO_LONG),
        415: errors(
            "A request with a body (`Content-Length` > 0) whose `Content-Type` is not "
            "`application/json` (a charset, if given, must be UTF-8). Checked before "
            f"anything else. {body}",
            ("Body not declared as JSON", UNSUPPORTED_MEDIA_TYPE),
        ),
        500: errors(
            "Unexpected server failure.",
            ("Unhandled exception", INTERNAL_SERVER_ERROR),
        ),
    }
    if api:
        responses[301] = empty(
            "`require_https` is on and the request did not arrive over HTTPS (nor "
            "carries `X-Forwarded-Proto: https` or `$WSSC: https`): redirect to the "
            "`https://` URL in `Location`. Empty body; checked before authentication."
        )
        responses[401] = errors(
            "No namespace for this request (see the `bearerAuth` scheme).",
            *AUTH_FAILED_CASES,
        )
        responses[503] = errors(
            "The storage backend cannot be reached; retry later.",
            ("Store unavailable", STORE_UNAVAILABLE),
        )
    return responses


NOT_MODIFIED = empty(
    "`If-None-Match` matches the current `ETag` (weak comparison; `*` always matches). "
    "Empty body."
)
