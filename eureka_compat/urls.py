"""Eureka routes under ``/eureka/v2/``, ``/eureka/`` and ``/api/eureka/<token>/v2/``.

``apps`` and ``apps/`` both answer (no slash redirect); ids are matched after
percent-decoding and may contain ``:`` and ``.`` (no format suffixes here).
"""

from __future__ import annotations

from django.urls import URLPattern, include, path, re_path

from eureka_compat import views

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
