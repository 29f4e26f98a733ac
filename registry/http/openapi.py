"""OpenAPI helpers both APIs' descriptions use (drf-spectacular).

The ``bearerAuth`` security scheme (:class:`BearerAuthenticationScheme`, beside the
authentication class it documents), the :func:`header`, :func:`path` and :func:`query`
parameter helpers, and :data:`View`, the type the ``*_docs`` decorators take.
Defining the extension registers it with drf-spectacular, so each API's description
imports this module before any view is described.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from registry.resolvers import (
    DEFAULT_NAMESPACE,
    InvalidTokenError,
    MalformedAuthorizationError,
    MissingTokenError,
)

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

#: A view class, as the ``*_docs`` decorators take and return it.
View = TypeVar("View", bound=type)

BEARER_SCHEME_NAME = "bearerAuth"

BEARER_DESCRIPTION = f"""\
`Authorization: Bearer <token>` selects the **namespace** (tenant) a request acts
in; namespaces are fully isolated. The scheme word is case-insensitive; any other form
of the header is rejected with 401 `{MalformedAuthorizationError.text}`. What the
token means depends on the server's `auth_mode` setting (`A8_AUTH_MODE`):

* **no mode** (the default, single tenant): the header is optional. No token, an
  empty token or the token `{DEFAULT_NAMESPACE}` select the namespace
  `{DEFAULT_NAMESPACE}`; any other token is rejected (401 `{InvalidTokenError.text}`).
  This is why every operation also lists the empty security requirement `{{}}`.
* **`trusted`**: a proxy in front has authenticated the caller; the token *is* the
  namespace name, verbatim. No token → 401 `{MissingTokenError.text}`.
* **`jwt`**: the token is an HS256 JWT signed with the shared `jwt_secret`, whose string
  claim `namespace` names the namespace; `exp` and `nbf` are checked when present. Any
  other algorithm (including `none`), a bad signature, an expired token or a missing or
  non-string `namespace` claim → 401 `{InvalidTokenError.text}`. No token → 401
  `{MissingTokenError.text}`.
* **chains** (`jwt,trusted`, ...): the modes are tried in order. Only `jwt` passes
  on a token that is not JWT-shaped, so with `jwt,trusted` well-formed JWTs are
  verified and any other token names a namespace; `trusted,jwt` never consults `jwt`.
  Once any mode is configured a request without a token is rejected.

401 responses carry `WWW-Authenticate: Bearer realm="registry"`.
"""


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents :class:`registry.http.authentication.BearerAuthentication`."""

    target_class = "registry.http.authentication.BearerAuthentication"
    match_subclasses = True
    name = BEARER_SCHEME_NAME

    def get_security_definition(
        self, auto_schema: AutoSchema
    ) -> dict[str, Any] | list[dict[str, Any]]:
        return {"type": "http", "scheme": "bearer", "description": BEARER_DESCRIPTION}

    def get_security_requirement(
        self, auto_schema: AutoSchema
    ) -> dict[str, list[Any]] | list[dict[str, list[Any]]]:
        # A bearer token, or none at all when no auth mode is configured.
        return [{BEARER_SCHEME_NAME: []}, {}]


#: The 414 of every operation: answered before the application runs.
REQUEST_LINE_TOO_LONG = (
    "The request line (method, path and query) is longer than the HTTP server's limit "
    "(gunicorn: 4094 bytes; granian: its own). Answered by the HTTP server itself, "
    "before the application: the body is the server's, not this API's."
)


def header(
    name: str, description: str, codes: Sequence[int] | bool = True
) -> OpenApiParameter:
    """A string header: sent by the client (``codes=False``), or answered with
    every response (``True``) or with those of the status ``codes``.
    """
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=description,
        response=codes if isinstance(codes, bool) else list(codes),
    )


def path(name: str, description: str) -> OpenApiParameter:
    """A string path parameter."""
    return OpenApiParameter(
        name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description
    )


def query(name: str, kind: Any, description: str, **kwargs: Any) -> OpenApiParameter:
    """A query parameter of type ``kind`` (a type, OpenApiTypes or a JSON schema)."""
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, description=description, **kwargs
    )
