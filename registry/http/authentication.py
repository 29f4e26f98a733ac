"""Authentication: bind each request to a namespace (spec §3.1).

Both APIs use :class:`BearerAuthentication`; the Eureka API's subclass adds the
token in the path. The namespace also goes to the request's
:class:`~registry.http.context.RequestContext`, for the access log.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from registry.http.context import request_context
from registry.resolvers import AuthError, ascii_token, token_from_authorization
from registry.runtime import get_runtime


@dataclass(frozen=True, slots=True)
class Namespace:
    """The tenant a request acts for (what DRF would call the user)."""

    name: str
    is_authenticated: bool = True


class BearerAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; no header means the empty token.

    The token goes through the configured resolver chain (default, trusted, jwt).
    """

    def authenticate(self, request: HttpRequest) -> tuple[Namespace, str]:
        meta = request.META
        header = meta.get("HTTP_AUTHORIZATION", "")
        try:
            token = (
                token_from_authorization(header) if header else self.path_token(request)
            )
            # One rule for every carrier of a token (resolvers.ascii_token).
            namespace = get_runtime().resolver.resolve(ascii_token(token))
        except AuthError as err:
            raise exceptions.AuthenticationFailed(err.text) from err
        request_context(meta).namespace = namespace
        return Namespace(namespace), token

    def path_token(self, request: HttpRequest) -> str:
        """A token carried in the URL (the Eureka API's form); none natively."""
        return ""

    def authenticate_header(self, request: HttpRequest) -> str:
        # RFC 6750 asks for it on 401, and DRF turns a 401 without it into a 403.
        return 'Bearer realm="registry"'
