"""What every API view shares: namespace, catalog, lean dispatch, cached bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.views import APIView

from registry.http.authentication import Namespace
from registry.http.cache import CachedBody, CachedBodyResponse, ResponseCache
from registry.http.errors import JSON_CONTENT_TYPE
from registry.runtime import RegistryRuntime, get_runtime
from registry.store.base import Catalog

#: The runtime component holding the rendered-body cache.
RESPONSES_COMPONENT = "http.responses"

#: Authenticators hold no per-request state; one instance of each class list
#: serves every request.
_POLICY_INSTANCES: dict[tuple[Callable[[], Any], ...], list[Any]] = {}


def _instances(classes: Iterable[Callable[[], Any]]) -> list[Any]:
    key = tuple(classes)
    made = _POLICY_INSTANCES.get(key)
    if made is None:
        made = _POLICY_INSTANCES.setdefault(key, [cls() for cls in key])
    return made


class NamespacedView(APIView):
    """What every API view shares: its namespace's catalog, and lean dispatch.

    DRF describes these views (drf-spectacular reads them for the OpenAPI schema)
    but does not run their requests: :meth:`dispatch` does only what the registry
    uses of DRF's, because the heartbeat is the hottest path and DRF's request
    wrapper, content negotiation, permission, throttle and version steps cost
    more than the registry's own work. A request is authenticated by the view's
    ``authentication_classes`` (401 with ``WWW-Authenticate``), then handled by
    the method's handler (405 when the view has none), and any exception goes to
    the view's exception handler (:meth:`handle_exception`, DRF's), so errors are
    exactly DRF's. Handlers get Django's ``HttpRequest``; views return encoded
    bodies (no renderers) and set no default headers.

    Permission and throttle classes would never run, so a view cannot declare
    any (checked when the class is made).
    """

    permission_classes: Sequence[Any] = ()
    throttle_classes: Sequence[Any] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.permission_classes or cls.throttle_classes:
            raise TypeError(
                f"{cls.__name__}: NamespacedView runs no permission or throttle classes"
            )

    def dispatch(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        self.args, self.kwargs = args, kwargs
        self.request = request  # type: ignore[assignment]
        self.headers: dict[str, str] = {}
        try:
            self._namespace = self._authenticate(request)
            method = request.method.lower() if request.method else ""
            handler = (
                getattr(self, method, None)
                if method in self.http_method_names
                else None
            )
            if handler is None:
                raise MethodNotAllowed(request.method or "")
            response: HttpResponseBase = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        finally:
            # The instance served its one request. as_view bound handlers to it
            # (DRF: ``self.put = self.heartbeat``; Django: ``self.head =
            # self.get``): reference cycles that would leave the view, the
            # request and some ten more objects per request to the cyclic
            # garbage collector. Dropping its state frees them at once.
            self.__dict__.clear()
        return response

    def _authenticate(self, request: HttpRequest) -> str:
        for authenticator in self.get_authenticators():
            result = authenticator.authenticate(request)  # type: ignore[arg-type]
            if result is not None:
                namespace: Namespace = result[0]
                return namespace.name
        raise TypeError(f"{type(self).__name__}: no authenticator bound a namespace")

    def get_authenticators(self) -> list[BaseAuthentication]:
        return _instances(self.authentication_classes)

    def get_authenticate_header(self, request: Any) -> str:
        authenticators = self.get_authenticators()
        header = (
            authenticators[0].authenticate_header(request) if authenticators else ""
        )
        return header or ""

    @property
    def runtime(self) -> RegistryRuntime:
        return get_runtime()

    @property
    def namespace(self) -> str:
        """The namespace the request was authenticated for."""
        return self._namespace

    def catalog(self) -> Catalog:
        return self.runtime.catalogs.get(self.namespace)

    @property
    def responses(self) -> ResponseCache:
        """This process's cache of rendered bodies (both APIs share it)."""
        return self.runtime.component(RESPONSES_COMPONENT, ResponseCache)


def cached_response(
    entry: CachedBody, content_type: str = JSON_CONTENT_TYPE, accept_encoding: str = ""
) -> CachedBodyResponse:
    """A response whose body, ETag and gzip form come from the response cache
    (a :class:`~registry.http.cache.CachedBodyResponse`; ``accept_encoding``
    matters for a body kept compressed)."""
    return CachedBodyResponse(entry, content_type, accept_encoding)
