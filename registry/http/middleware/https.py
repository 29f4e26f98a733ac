"""301 to ``https://`` for plain-HTTP requests when ``require_https`` is on (spec
§3.6), on the paths of APIs that want it
(:attr:`~registry.http.apis.HttpApi.https_only`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from registry.http.apis import api_for_path
from registry.http.errors import JSON_CONTENT_TYPE
from registry.http.transport import is_secure, request_uri
from registry.runtime import get_runtime


class HttpsRedirectMiddleware:
    """See the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if (
            get_runtime().config.require_https
            and not is_secure(request.META)
            and api_for_path(request.path_info).https_only
        ):
            return _https_redirect(request)
        return self.get_response(request)


def _https_redirect(request: HttpRequest) -> HttpResponse:
    # The URI as the client sent it, escapes included (as far as the server tells).
    uri = request_uri(request.META)
    location = f"https://{request.META.get('HTTP_HOST', '')}{uri}"
    response = HttpResponse(status=301, content_type=JSON_CONTENT_TYPE)
    response["Location"] = location
    return response
