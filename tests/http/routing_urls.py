"""A URLconf with every feature Django's resolver has, for tests/http/test_routing.py."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, include, path, re_path
from django.urls.resolvers import RegexPattern


def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse()


def other(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse()


class Backwards(RegexPattern):
    """A pattern class of a project's own: matches its regex written backwards."""

    def match(self, path: str) -> tuple[str, tuple[Any, ...], dict[str, Any]] | None:
        return super().match(path[::-1])


inner = [
    path("", view, name="inner-root"),
    path("<int:number>/", view, name="number"),
    path("<slug:slug>/", other, {"extra": 1}, name="slug"),
    re_path(r"^raw/(\d+)/(\w+)$", view, name="positional"),
    re_path(r"^mixed/(\d+)/(?P<named>\w+)$", view, name="mixed"),
    re_path(r"^opt/(?P<maybe>x)?$", other),
]

urlpatterns = [
    path("", view, name="root"),
    path("exact", view, name="exact"),
    re_path(r"^(?P<first>[a-z]+)-generic/$", other, name="generic-first"),
    path("a/", include((inner, "app-a"), namespace="ns-a")),
    path("a/", include(inner)),  # shadowed: never reached
    re_path(r"^b/(?P<outer>\w+)/", include(inner), {"default": "yes"}),
    path("c/<uuid:key>/", include(inner)),
    path("", include([path("d/", view, name="under-empty")])),
    re_path(r"^e\.txt$", view, name="dotted"),
    re_path(r"^f/?$", view, name="optional-slash"),
    re_path(r"(?i)^g/$", view, name="flagged"),
    re_path(r"unanchored/$", view, name="unanchored"),
    re_path(r"^pos/(\d+)/", include([re_path(r"^(\d+)$", view, name="nested-pos")])),
    path(
        "h/",
        include(
            [
                path("one", view, name="before-custom"),
                URLPattern(Backwards(r"^owt$", is_endpoint=True), other),
                path("two", view, name="after-custom"),
            ]
        ),
    ),
    re_path(r"^h/(?P<anything>.+)$", view, name="after-h"),
]
