"""Namespaces on the Eureka API: the same bearer header as the native API, or the
token in the path of ``/api/eureka/<token>/v2/`` (the original's form, spec §3.3)."""

from __future__ import annotations

from django.http import HttpRequest

from registry.http.authentication import BearerAuthentication


class EurekaAuthentication(BearerAuthentication):
    """A non-empty ``Authorization`` header wins over the path token."""

    def path_token(self, request: HttpRequest) -> str:
        match = request.resolver_match
        return str(match.kwargs.get("token", "")) if match is not None else ""
