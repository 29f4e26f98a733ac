"""Namespaces on the Eureka API: the same bearer header as the native API, or the
token in the path of ``/api/eureka/<token>/v2/`` (the original's form, spec §3.3)."""

from __future__ import annotations

from rest_framework.request import Request

from registry.http.authentication import BearerAuthentication


class EurekaAuthentication(BearerAuthentication):
    """A non-empty ``Authorization`` header wins over the path token."""

    def path_token(self, request: Request) -> str:
        kwargs = (
            request.parser_context.get("kwargs", {}) if request.parser_context else {}
        )
        return str(kwargs.get("token", ""))
