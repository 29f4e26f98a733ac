"""The dashboard's page and the HTML fragments it refreshes itself with.

The page (``/dashboard/``) holds no data: its script asks for fragments, rendered
here from Django templates, with the token the user typed (kept in the browser's
``sessionStorage``, sent as ``Authorization: Bearer``, never in a URL), and with
``If-None-Match``: the ``ETag`` that :class:`~registry.http.middleware.
ConditionalGetMiddleware` puts on every GET answers a 304 when nothing changed,
so an idle dashboard costs the registry no rendering on the client's side and
few bytes. The fragments authenticate exactly like the native API (same resolver,
same namespaces); the health fragment, like ``/uptime``, needs no token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from dashboard.data import STATUSES, instance_rows, service_rows
from dashboard.health import health_components
from registry.api.errors import NATIVE_ERRORS
from registry.config import VERSION
from registry.resolvers import AuthError, ascii_token, token_from_authorization
from registry.runtime import RegistryRuntime, get_runtime

#: Longest filter value accepted (a service name is at most 64 bytes).
MAX_FILTER_CHARS: Final = 256
#: Seconds between refreshes of the lists and of the health panel.
LIST_REFRESH_SECONDS: Final = 2
HEALTH_REFRESH_SECONDS: Final = 5
FRAGMENT_CACHE_CONTROL: Final = "private, no-cache"

View = Callable[[HttpRequest], HttpResponse]


def _enabled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 (as any unknown path) when the ``dashboard`` setting is off."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not get_runtime().config.dashboard:
            return NATIVE_ERRORS.not_found(request)
        return view(request, *args, **kwargs)

    wrapped.__doc__ = view.__doc__
    return wrapped


@_enabled
@require_safe
def page(request: HttpRequest) -> HttpResponse:
    """The page: layout, token form, filters, and the script that fills it."""
    runtime = get_runtime()
    nonce = secrets.token_urlsafe(16)
    context = {
        "nonce": nonce,
        "version": VERSION,
        "auth_modes": runtime.config.auth_mode,
        "statuses": STATUSES,
        "list_refresh_ms": LIST_REFRESH_SECONDS * 1000,
        "health_refresh_ms": HEALTH_REFRESH_SECONDS * 1000,
    }
    response = HttpResponse(render_to_string("dashboard/page.html", context, request))
    # Nothing but this page's own script and styles runs; data only from here.
    response["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


@_enabled
@require_safe
def services_fragment(request: HttpRequest) -> HttpResponse:
    """The namespace's services with their instance counts by status."""
    return _with_namespace(request, _services)


def _services(
    request: HttpRequest, runtime: RegistryRuntime, namespace: str
) -> HttpResponse:
    filters = _filters(request, "q", "tag", "status")
    if isinstance(filters, HttpResponse):
        return filters
    catalog = runtime.catalogs.get(namespace)
    rows = service_rows(catalog, filters["q"], filters["tag"], filters["status"])
    context = {"namespace": namespace, "rows": rows, "statuses": STATUSES, **filters}
    return _fragment("dashboard/services.html", context)


@_enabled
@require_safe
def instances_fragment(request: HttpRequest) -> HttpResponse:
    """One service's instances (``?service=``), filtered by tag and status."""
    return _with_namespace(request, _instances)


def _instances(
    request: HttpRequest, runtime: RegistryRuntime, namespace: str
) -> HttpResponse:
    filters = _filters(request, "service", "tag", "status")
    if isinstance(filters, HttpResponse):
        return filters
    catalog = runtime.catalogs.get(namespace)
    rows = instance_rows(catalog, filters["service"], filters["tag"], filters["status"])
    context = {"namespace": namespace, "rows": rows, **filters}
    return _fragment("dashboard/instances.html", context)


@_enabled
@require_safe
def health_fragment(request: HttpRequest) -> HttpResponse:
    """The node: uptime and load, the store, and every plug-in's components."""
    components = health_components(get_runtime())
    healthy = all(component.healthy for component in components)
    context = {"components": components, "healthy": healthy}
    return _fragment("dashboard/health.html", context)


def _with_namespace(
    request: HttpRequest,
    view: Callable[[HttpRequest, RegistryRuntime, str], HttpResponse],
) -> HttpResponse:
    runtime = get_runtime()
    header = request.META.get("HTTP_AUTHORIZATION", "")
    try:
        token = token_from_authorization(header) if header else ""
        namespace = runtime.resolver.resolve(ascii_token(token))
    except AuthError as err:
        response = _fragment("dashboard/auth_required.html", {"text": err.text})
        response.status_code = 401
        response["WWW-Authenticate"] = 'Bearer realm="registry"'
        return response
    return view(request, runtime, namespace)


def _filters(request: HttpRequest, *names: str) -> dict[str, str] | HttpResponse:
    values = {name: request.GET.get(name, "") for name in names}
    for name, value in values.items():
        if len(value) > MAX_FILTER_CHARS:
            text = f"{name} is longer than {MAX_FILTER_CHARS} characters"
            response = _fragment("dashboard/bad_request.html", {"text": text})
            response.status_code = 400
            return response
    return values


def _fragment(template: str, context: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(render_to_string(template, context))
    response["Cache-Control"] = FRAGMENT_CACHE_CONTROL
    response["Vary"] = "Authorization"
    return response
