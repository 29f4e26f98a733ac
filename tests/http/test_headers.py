"""set_header and header_items (registry/http/headers.py) against Django's own."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from registry.http.cache import CachedBody, CachedBodyResponse
from registry.http.errors import JSON_CONTENT_TYPE, JsonResponse
from registry.http.headers import header_items, set_header

SET = [
    ("Content-Length", "123"),
    ("Vary", "Accept, Accept-Encoding"),
    ("ETag", 'W/"0123456789abcdef01234567"'),
    ("REQUEST_ID", "AbCdEfGhIj_1700000000000000000_42"),
    ("X-Request-Id", "client!id~with/punctuation"),
    ("content-encoding", "gzip"),
    ("Vary", "Accept-Encoding"),  # a second set replaces the first
]


def test_set_header_stores_what_djangos_setter_stores():
    ours, django = HttpResponse(b"x"), HttpResponse(b"x")
    for name, value in SET:
        set_header(ours, name, value)
        django[name] = value
    assert header_items(ours) == list(django.items())
    assert ours.headers == django.headers
    for name, value in SET[-2:]:
        assert ours[name.upper()] == value
        assert ours.has_header(name.lower())


def test_header_items_is_items_in_order():
    response = HttpResponse(b"x", content_type="application/json")
    response["Location"] = "http://x/y"
    set_header(response, "ETag", '"1"')
    assert header_items(response) == list(response.items())
    assert [name for name, _ in header_items(response)] == [
        "Content-Type",
        "Location",
        "ETag",
    ]


# -- JsonResponse (registry/http/errors.py): HttpResponse's state, built directly --


@pytest.mark.parametrize(
    ("body", "status", "content_type"),
    [
        (b"", 200, JSON_CONTENT_TYPE),
        (b'{"a":1}', 201, JSON_CONTENT_TYPE),
        (b"x" * 10_000, 404, JSON_CONTENT_TYPE),
        (memoryview(b"mv"), 503, JSON_CONTENT_TYPE),
        (b"", 204, "application/json"),  # Eureka's
        (b"<a/>", 200, "application/xml"),
    ],
)
def test_json_response_is_the_http_response_django_would_build(
    body, status, content_type
):
    ours = JsonResponse(body, status, content_type)
    django = HttpResponse(body, status=status, content_type=content_type)
    state = {k: v for k, v in vars(ours).items() if k not in ("headers", "cookies")}
    expected = {
        k: v for k, v in vars(django).items() if k not in ("headers", "cookies")
    }
    assert state == expected
    assert list(ours.items()) == list(django.items())
    assert ours.headers._store == django.headers._store
    assert type(ours.cookies) is type(django.cookies)
    assert not ours.cookies
    assert ours.content == django.content
    assert ours.charset == django.charset
    assert ours.reason_phrase == django.reason_phrase
    assert ours.serialize() == django.serialize()


def test_json_response_refuses_an_impossible_status_as_django_does():
    with pytest.raises(ValueError, match="from 100 to 599"):
        JsonResponse(b"", 99)
    with pytest.raises(ValueError, match="from 100 to 599"):
        HttpResponse(b"", status=99)


@pytest.mark.parametrize("content_type", [JSON_CONTENT_TYPE, "application/xml"])
def test_a_cached_body_response_is_the_http_response_django_would_build(content_type):
    entry = CachedBody((1, 2), b'{"instances":[]}')
    ours = CachedBodyResponse(entry, content_type)
    django = HttpResponse(entry.body, content_type=content_type)
    django["ETag"] = entry.etag
    assert ours.cached is entry
    state = {k: v for k, v in vars(ours).items() if k not in ("headers", "cookies")}
    expected = {
        k: v for k, v in vars(django).items() if k not in ("headers", "cookies")
    }
    expected["cached"] = entry
    expected["status_code"] = 200  # Django leaves the class default
    assert state == expected
    assert list(ours.items()) == list(django.items())
    assert ours.serialize() == django.serialize()
    assert not ours.inflating  # a plain entry: sent as one body
