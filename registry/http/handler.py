"""The WSGI application the servers run (``registry_project.wsgi:application``).

Django's WSGI handler with two changes, both about work per request:

* URLs are resolved through a :class:`~registry.http.routing.RouteIndex` (the same
  match as Django's resolver, without trying every pattern);
* a response whose body is in memory is handed to the server as a one-item list,
  after ``close()``: servers send a list in one call (granian's
  ``response_bytes``), where an iterable response is pulled chunk by chunk
  through Python. Closing first only moves Django's ``request_finished`` before
  the bytes are written; nothing of the registry's listens to it after the send.
  Streaming and file responses are returned as Django returns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver
from django.urls.resolvers import ResolverMatch

from registry.http.routing import RouteIndex


class RegistryWSGIHandler(WSGIHandler):
    """See the module docstring."""

    _index: RouteIndex | None = None

    def __call__(  # type: ignore[override]  # the stubs say HttpResponseBase
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        response = super().__call__(environ, start_response)
        if not isinstance(response, HttpResponse):
            return response  # streaming, or a file the server may send itself
        body = response.content
        response.close()
        return [body]

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        if not hasattr(request, "urlconf"):
            root = get_resolver()
            index = self._index
            if index is None or index.root is not root:
                index = self._index = RouteIndex(root)
            found = index.resolve(request.path_info)
            if found is not None:
                request.resolver_match = found
                return found
        return super().resolve_request(request)
