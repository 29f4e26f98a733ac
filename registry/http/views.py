"""What every API view shares: namespace, catalog, lean DRF dispatch, cached bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from registry.http.authentication import Namespace
from registry.http.cache import CachedBody, CachedBodyResponse, ResponseCache
from registry.http.errors import JSON_CONTENT_TYPE
from registry.runtime import RegistryRuntime, get_runtime
from registry.store.base import Catalog

#: The runtime component holding the rendered-body cache.
RESPONSES_COMPONENT = "http.responses"

_JSON_RENDERER = JSONRenderer()
#: DRF's policy objects (parsers, authenticators, permissions, throttles) hold no
#: per-request state; one instance of each class list serves every request.
_POLICY_INSTANCES: dict[tuple[Callable[[], Any], ...], list[Any]] = {}


def _instances(classes: Iterable[Callable[[], Any]]) -> list[Any]:
    key = tuple(classes)
    made = _POLICY_INSTANCES.get(key)
    if made is None:
        made = _POLICY_INSTANCES.setdefault(key, [cls() for cls in key])
    return made


class NamespacedView(APIView):
    """What every API view shares: its namespace's catalog, and lean dispatch.

    Views return pre-encoded bodies, so DRF's content negotiation is skipped, and
    DRF's ``Allow`` header goes on 405s only. DRF's stateless policy objects are
    made once per class list, not on every request (the heartbeat is the hottest
    path).
    """

    def get_parsers(self) -> list[BaseParser]:
        return _instances(self.parser_classes)

    def get_authenticators(self) -> list[BaseAuthentication]:
        return _instances(self.authentication_classes)

    def get_permissions(self) -> list[BasePermission]:
        return _instances(self.permission_classes)

    def get_throttles(self) -> list[BaseThrottle]:
        return _instances(self.throttle_classes)

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        return _JSON_RENDERER, _JSON_RENDERER.media_type

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}

    @property
    def runtime(self) -> RegistryRuntime:
        return get_runtime()

    @property
    def namespace(self) -> str:
        user: Namespace = self.request.user  # type: ignore[assignment]
        return user.name

    def catalog(self) -> Catalog:
        return self.runtime.catalogs.get(self.namespace)

    @property
    def responses(self) -> ResponseCache:
        """This process's cache of rendered bodies (both APIs share it)."""
        return self.runtime.component(RESPONSES_COMPONENT, ResponseCache)


def cached_response(
    entry: CachedBody, content_type: str = JSON_CONTENT_TYPE
) -> CachedBodyResponse:
    """A response whose body, ETag and gzip form come from the response cache
    (a :class:`~registry.http.cache.CachedBodyResponse`)."""
    return CachedBodyResponse(entry, content_type)
