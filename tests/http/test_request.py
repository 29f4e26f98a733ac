"""RegistryRequest (registry/http/request.py) against Django's WSGIRequest."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import override_settings

from registry.http.request import RegistryRequest

BASE: dict[str, Any] = {
    "REQUEST_METHOD": "PUT",
    "PATH_INFO": "/api/v1/instances/0123456789abcdef/heartbeat",
    "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8080",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
}
#: Paths as a WSGI server hands them over (bytes as ISO-8859-1 text).
UTF8_PATH = "/api/v1/services/ünï".encode().decode("latin-1")
BROKEN_PATH = b"/api/v1/services/\xff\xfe".decode("latin-1")

CASES: list[dict[str, Any]] = [
    {},
    {"REQUEST_METHOD": "get"},
    {"PATH_INFO": "/"},
    {"PATH_INFO": "//double//slashes/"},
    {"PATH_INFO": "/with%20escapes%2F"},
    {"PATH_INFO": ""},
    {"PATH_INFO": "no-leading-slash/x"},
    {"PATH_INFO": UTF8_PATH},
    {"PATH_INFO": BROKEN_PATH},
    {"SCRIPT_NAME": "/prefix"},
    {"SCRIPT_NAME": "/prefix/"},
    {"SCRIPT_NAME": ""},
    {"SCRIPT_URL": "/prefix/api/v1/x", "PATH_INFO": "/api/v1/x"},
    {"REDIRECT_URL": "/r/api/v1/x", "PATH_INFO": "/api/v1/x"},
    {"SCRIPT_URL": ""},
    {"CONTENT_TYPE": "application/json"},
    {"CONTENT_TYPE": "application/json; charset=latin-1"},
    {"CONTENT_TYPE": "application/json; charset=no-such-codec"},
    {"CONTENT_TYPE": ""},
    {"CONTENT_LENGTH": "12"},
    {"CONTENT_LENGTH": ""},
    {"CONTENT_LENGTH": "twelve"},
    {"CONTENT_LENGTH": "-3"},
]


def state(request: WSGIRequest) -> dict[str, Any]:
    found = {k: v for k, v in vars(request).items() if k not in ("_stream", "environ")}
    found["META"] = {k: v for k, v in request.META.items() if k != "wsgi.input"}
    found["stream_limit"] = request._stream.limit  # type: ignore[attr-defined]
    found["environ_is_meta"] = request.environ is request.META
    found["encoding"] = request.encoding
    return found


def build(case: dict[str, Any]) -> tuple[WSGIRequest, WSGIRequest]:
    def environ() -> dict[str, Any]:
        return {**BASE, **case, "wsgi.input": io.BytesIO(b"x" * 20)}

    return RegistryRequest(environ()), WSGIRequest(environ())


@pytest.mark.parametrize("case", CASES, ids=[str(sorted(c.items())) for c in CASES])
def test_the_request_is_the_one_django_builds(case):
    ours, django = build(case)
    assert state(ours) == state(django)
    assert body(ours) == body(django)
    assert ours.get_full_path() == django.get_full_path()


def body(request: WSGIRequest) -> bytes | str:
    try:
        return request.body
    except ValueError as err:  # Django's own, for a Content-Length of "twelve"
        return repr(err)


@override_settings(FORCE_SCRIPT_NAME="/forced")
def test_a_forced_script_name_is_djangos_too():
    ours, django = build({})
    assert state(ours) == state(django)
    assert ours.path == "/forced/api/v1/instances/0123456789abcdef/heartbeat"


def test_the_short_path_is_taken_for_plain_paths_only(monkeypatch):
    calls: list[str] = []
    original = WSGIRequest.__init__

    def counting(self: WSGIRequest, environ: dict[str, Any]) -> None:
        calls.append(environ.get("PATH_INFO", ""))
        original(self, environ)

    monkeypatch.setattr(WSGIRequest, "__init__", counting)
    build({})  # one call: Django's own reference request
    assert len(calls) == 1
    calls.clear()
    build({"PATH_INFO": UTF8_PATH})
    build({"SCRIPT_NAME": "/prefix"})
    assert len(calls) == 4  # each: ours delegated, plus the reference
