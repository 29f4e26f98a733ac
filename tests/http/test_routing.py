"""The route index resolves every path exactly as Django's resolver does."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import Resolver404, get_resolver
from django.urls.resolvers import ResolverMatch
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.http.routing import RouteIndex

#: Paths of the registry's own URLconf, hits and misses.
REGISTRY_PATHS = [
    "/",
    "/uptime",
    "/uptimex",
    "/api/v1/services",
    "/api/v1/services/",
    "/api/v1/services/svc.a:1",
    "/api/v1/instances",
    "/api/v1/instances/",
    "/api/v1/instances/abc",
    "/api/v1/instances/abc/heartbeat",
    "/api/v1/instances/abc/heartbeat/",
    "/api/v1/instances/a b/heartbeat",
    "/eureka/v2/apps",
    "/eureka/v2/apps/",
    "/eureka/v2/apps/delta",
    "/eureka/v2/apps/delta/",
    "/eureka/v2/apps/APP",
    "/eureka/v2/apps/APP/host:app:8080",
    "/eureka/v2/apps/APP/i.1/status",
    "/eureka/v2/apps/APP/i.1/metadata",
    "/eureka/v2/instances/i-1",
    "/eureka/v2/vips/vip",
    "/eureka/v2/svips/vip",
    "/eureka/apps/APP/i1",
    "/api/eureka/token/v2/apps",
    "/api/eureka//v2/apps/APP/i1",
    "/api/eureka/t/v2/apps/APP/i1/status",
    "/api/eureka/t/v3/apps",
    "/api/schema/",
    "/api/docs/",
    "/static/swagger-ui-dist/swagger-ui.css",
    "/nowhere",
    "",
    "//",
]


def same_match(expected: ResolverMatch, found: ResolverMatch) -> None:
    for name in (
        "func",
        "args",
        "kwargs",
        "url_name",
        "app_names",
        "namespaces",
        "route",
        "view_name",
        "captured_kwargs",
        "extra_kwargs",
    ):
        assert getattr(found, name) == getattr(expected, name), name


def check(path: str, urlconf: Any = None) -> None:
    """The index gives Django's match, or none where Django finds none; below
    ``/h/`` (a pattern class of the project's own) it may also leave the path to
    Django."""
    resolver = get_resolver(urlconf)
    index = RouteIndex(resolver)
    try:
        expected = resolver.resolve(path)
    except Resolver404:
        assert index.resolve(path) is None
        return
    found = index.resolve(path)
    if found is None and path.startswith("/h/"):
        return
    assert found is not None, path
    same_match(expected, found)


@pytest.mark.parametrize("path", REGISTRY_PATHS)
def test_the_registry_routes_resolve_as_django_resolves_them(path: str):
    check(path)


FEATURE_PATHS = [
    "/",
    "/exact",
    "/exact/",
    "/abc-generic/",
    "/a/",
    "/a/12/",
    "/a/slug-1/",
    "/a/raw/12/ab",
    "/a/mixed/12/ab",
    "/a/opt/",
    "/a/opt/x",
    "/b/word/",
    "/b/word/7/",
    "/b/word/raw/1/z",
    "/c/12345678-1234-5678-1234-567812345678/9/",
    "/c/not-a-uuid/9/",
    "/d/",
    "/e.txt",
    "/eatxt",
    "/f",
    "/f/",
    "/G/",
    "/x/unanchored/",
    "/unanchored/",
    "/pos/1/2",
    "/h/one",
    "/h/two",
    "/h/three",
]
URLCONF = "tests.http.routing_urls"


@pytest.mark.parametrize("path", FEATURE_PATHS)
def test_every_resolver_feature_resolves_as_django_resolves_it(path: str):
    check(path, URLCONF)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                "c",
                "d",
                "e.txt",
                "f",
                "g",
                "G",
                "x",
                "raw",
                "mixed",
                "opt",
                "pos",
                "1",
                "12",
                "word",
                "exact",
                "abc-generic",
                "unanchored",
                "",
                "12345678-1234-5678-1234-567812345678",
            ]
        ),
        max_size=5,
    ),
    st.booleans(),
)
def test_any_path_resolves_as_django_resolves_it(segments: list[str], slash: bool):
    check("/" + "/".join(segments) + ("/" if slash else ""), URLCONF)


def test_paths_the_index_cannot_decide_are_left_to_django():
    index = RouteIndex(get_resolver(URLCONF))
    assert index.resolve("/h/one") is not None  # before the project's own pattern
    assert index.resolve("/h/two") is None  # Django's resolver: "custom" matches
    assert get_resolver(URLCONF).resolve("/h/two").route == "h/owt$"


def test_matches_are_kept_by_path_and_forgotten_past_the_bound(monkeypatch):
    from django.urls import get_resolver

    from registry.http import routing

    index = routing.RouteIndex(get_resolver())
    first = index.resolve("/api/v1/instances/abc/heartbeat")
    assert first is not None
    assert index.resolve("/api/v1/instances/abc/heartbeat") is first
    assert first.kwargs == {"instance_id": "abc"}
    monkeypatch.setattr(routing, "MATCHES_KEPT", 2)
    index.resolve("/api/v1/instances/def/heartbeat")
    index.resolve("/api/v1/services")  # the third: the kept ones are forgotten
    again = index.resolve("/api/v1/instances/abc/heartbeat")
    assert again is not first
    assert again is not None
    assert (again.func, again.kwargs) == (first.func, first.kwargs)
