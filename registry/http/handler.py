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
from typing import Any, cast

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import get_resolver, set_script_prefix
from django.urls.resolvers import ResolverMatch
from django.utils.log import log_response

from registry.http.cache import CachedBodyResponse
from registry.http.headers import header_items
from registry.http.request import RegistryRequest
from registry.http.routing import RouteIndex


class RegistryWSGIHandler(WSGIHandler):
    """See the module docstring."""

    _index: RouteIndex | None = None
    request_class = RegistryRequest
    #: A request came with a ``SCRIPT_NAME``: set the prefix on every request.
    _script_prefixed = False
    # BaseHandler's, set by load_middleware (not in django-stubs).
    _middleware_chain: Callable[[HttpRequest], HttpResponseBase]
    _view_middleware: list[Callable[..., Any]]
    _template_response_middleware: list[Callable[..., Any]]

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async)
        atomic = any(db.get("ATOMIC_REQUESTS") for db in connections.settings.values())
        #: Nothing needs Django's general view path (view or template-response
        #: middleware, atomic requests): :meth:`_get_response` takes the short one.
        self._lean = not (
            atomic or self._view_middleware or self._template_response_middleware
        )
        self._async_views: dict[Callable[..., Any], bool] = {}

    def __call__(  # type: ignore[override]  # the stubs say HttpResponseBase
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        # Django's WSGIHandler.__call__ and BaseHandler.get_response, less two
        # thread-local writes per request that change nothing here: the script
        # prefix while no request has had a SCRIPT_NAME ("/" is the default), and
        # the URLconf (unset means settings.ROOT_URLCONF, which is what
        # get_response would set).
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = self.request_class(environ)
        # The request has read the SCRIPT_NAME already: its path is the script
        # name (less a trailing "/") and then its path_info.
        path = request.path
        script_name = path[: len(path) - len(request.path_info)]
        if script_name or self._script_prefixed:
            self._script_prefixed = True
            set_script_prefix(script_name)
        response: Any = self._middleware_chain(request)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response(
                "%s: %s",
                response.reason_phrase,
                request.path,
                response=response,
                request=request,
            )
        response._handler_class = self.__class__
        status = f"{response.status_code} {response.reason_phrase}"
        headers = header_items(response)
        if response.cookies:
            headers += [
                ("Set-Cookie", c.output(header="")) for c in response.cookies.values()
            ]
        start_response(status, headers)
        if not isinstance(response, HttpResponse):
            # Streaming, or a file the server may send itself.
            if getattr(response, "file_to_stream", None) is not None and environ.get(
                "wsgi.file_wrapper"
            ):
                response.file_to_stream.close = response.close
                wrapped: Iterable[bytes] = environ["wsgi.file_wrapper"](
                    response.file_to_stream, response.block_size
                )
                return wrapped
            streamed: Iterable[bytes] = response
            return streamed
        if isinstance(response, CachedBodyResponse) and response.inflating:
            # A body kept compressed, inflated piece by piece as the server sends
            # it; the server closes the response when it is done.
            inflated: Iterable[bytes] = response
            return inflated
        body = response.content
        response.close()
        return [body]

    def _get_response(self, request: HttpRequest) -> HttpResponseBase:
        """Django's, without the checks that find nothing to do here (see
        :meth:`load_middleware`); views are looked at once for being async."""
        if not self._lean:
            general: HttpResponseBase = super()._get_response(request)  # type: ignore[misc]
            return general
        callback, callback_args, callback_kwargs = self.resolve_request(request)
        is_async = self._async_views.get(callback)
        if is_async is None:
            is_async = self._async_views[callback] = iscoroutinefunction(callback)
        if is_async:
            callback = async_to_sync(callback)
        response: Any
        try:
            response = callback(request, *callback_args, **callback_kwargs)
        except Exception as err:
            response = self.process_exception_by_middleware(err, request)
            if response is None:
                raise
        if response is None or not isinstance(response, HttpResponseBase):
            # Raises: a view returned None, or an unawaited coroutine.
            self.check_response(cast(HttpResponseBase, response), callback)
        render = getattr(response, "render", None)
        if render is not None and callable(render):
            try:
                response = render()
            except Exception as err:
                response = self.process_exception_by_middleware(err, request)
                if response is None:
                    raise
        done: HttpResponseBase = response
        return done

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
