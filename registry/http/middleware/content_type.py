"""415 for a request body that is not JSON (UTF-8), before routing, on the paths
of APIs that take only JSON (:attr:`~registry.http.apis.HttpApi.json_bodies`; the
Eureka API reads XML too, and its views check their own content types)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from registry.http.apis import api_for_path


class JsonBodyMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        meta = request.META
        if _has_body(meta) and not _is_json(meta.get("CONTENT_TYPE", "")):
            api = api_for_path(request.path_info)
            if api.json_bodies:
                errors = api.errors
                return errors.response(415, errors.unsupported_media_type_text)
        return self.get_response(request)


def _has_body(meta: Mapping[str, Any]) -> bool:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return False


def _is_json(content_type: str) -> bool:
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if (
            name.strip().lower() == "charset"
            and value.strip().strip('"').lower() != "utf-8"
        ):
            return False
    return True
