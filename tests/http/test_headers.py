"""set_header and header_items (registry/http/headers.py) against Django's own."""

from __future__ import annotations

from django.http import HttpResponse

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
