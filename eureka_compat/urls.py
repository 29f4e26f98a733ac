"""Eureka routes under ``/eureka/v2/``, ``/eureka/`` and ``/api/eureka/<token>/v2/``.

``apps`` and ``apps/`` both answer (no slash redirect); ids are matched after
percent-decoding and may contain ``:`` and ``.`` (no format suffixes here).
:data:`EUREKA_API` declares the paths as the middleware and the error handlers see
them (``REGISTRY_HTTP_APIS``).
"""

from __future__ import annotations

from django.urls import URLPattern, include, path, re_path

from eureka_compat import views
from eureka_compat.errors import EUREKA_ERRORS
from registry.http.apis import HttpApi

#: Every path of the Eureka API starts with one of these; so does any unknown
#: path below them, which gets a Eureka (empty) 404 too.
PREFIXES = ("/eureka/", "/api/eureka/")
#: Empty error bodies; XML bodies too (its views check content types); HTTPS
#: redirect when ``require_https`` is on.
EUREKA_API = HttpApi(PREFIXES, EUREKA_ERRORS, json_bodies=False)

_SEGMENT = r"(?P<{}>[^/]+)"


def _routes() -> list[URLPattern]:
    app = _SEGMENT.format("app")
    instance_id = _SEGMENT.format("instance_id")
    return [
        re_path(r"^apps/?$", views.ApplicationsView.as_view()),
        re_path(r"^apps/delta/?$", views.DeltaView.as_view()),
        re_path(rf"^apps/{app}$", views.ApplicationView.as_view()),
        re_path(rf"^apps/{app}/{instance_id}$", views.InstanceView.as_view()),
        re_path(rf"^apps/{app}/{instance_id}/status$", views.StatusView.as_view()),
        re_path(rf"^apps/{app}/{instance_id}/metadata$", views.MetadataView.as_view()),
        re_path(rf"^instances/{instance_id}$", views.InstanceByIdView.as_view()),
        re_path(rf"^vips/{_SEGMENT.format('vip')}$", views.VipView.as_view()),
        re_path(rf"^svips/{_SEGMENT.format('vip')}$", views.SecureVipView.as_view()),
    ]


urlpatterns = [
    path("eureka/v2/", include(_routes())),
    path("eureka/", include(_routes())),
    re_path(r"^api/eureka/(?P<token>[^/]*)/v2/", include(_routes())),
]
