"""Routes: health, metrics, the dashboard, the native API, the OpenAPI schema and
its browser UI."""

from __future__ import annotations

from pathlib import Path

import drf_spectacular_sidecar
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from metrics.views import metrics_view
from registry.api.native import InstanceViewSet, ServiceViewSet
from registry.health import RootView, UptimeView

native = SimpleRouter(trailing_slash=False)
native.register("services", ServiceViewSet, basename="service")
native.register("instances", InstanceViewSet, basename="instance")

_SIDECAR_STATIC = Path(drf_spectacular_sidecar.__file__).parent / "static"

urlpatterns = [
    path("", RootView.as_view(), name="root"),
    path("uptime", UptimeView.as_view(), name="uptime"),
    # For Prometheus and people, not API clients: outside the OpenAPI document.
    path("metrics", metrics_view, name="metrics"),
    path("dashboard/", include("dashboard.urls")),
    path("api/v1/", include(native.urls)),
    path("", include("eureka_compat.urls")),
    # The schema only changes with the code: build it once per process.
    path("api/schema/", cache_page(None)(SpectacularAPIView.as_view()), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The docs UI's assets, served by the registry itself so it works offline and
    # with DEBUG off; only the sidecar's own files are reachable here.
    re_path(r"^static/(?P<path>.+)$", serve, {"document_root": _SIDECAR_STATIC}),
]

# In the error format of the API serving the path (REGISTRY_HTTP_APIS).
handler404 = "registry.http.apis.not_found_view"
handler500 = "registry.http.apis.server_error_view"
