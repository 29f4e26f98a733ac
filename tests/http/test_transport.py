"""How a request reached us: the request target as sent, under either server."""

from __future__ import annotations

import pytest

from registry.http.transport import request_uri


def test_gunicorns_raw_uri_is_used_as_sent():
    meta = {"RAW_URI": "/api/v1/services/a%20b%2Fc?x=%2F", "PATH_INFO": "/other"}
    assert request_uri(meta) == "/api/v1/services/a%20b%2Fc?x=%2F"


@pytest.mark.parametrize(
    ("path_info", "query", "uri"),
    [
        ("/api/v1/services", "", "/api/v1/services"),
        (
            "/api/v1/instances",
            "service_name=a%20b&fields=",
            "/api/v1/instances?service_name=a%20b&fields=",
        ),
        # The path as Django decoded it (UTF-8); %2F cannot be told from "/" any more.
        ("/api/v1/services/a b/c", "", "/api/v1/services/a%20b/c"),
        ("/caf\u00e9/\u4f60", "q=%3F", "/caf%C3%A9/%E4%BD%A0?q=%3F"),
        ("/a/x?y#z", "", "/a/x%3Fy%23z"),
        ("/~a:b", "", "/~a:b"),  # sent as /%7Ea%3Ab
        ("/eureka/apps/A:b@c;d=e,f+g", "", "/eureka/apps/A:b@c;d=e,f+g"),
        ("", "", "/"),
    ],
)
def test_without_raw_uri_the_target_is_rebuilt(path_info, query, uri):
    meta = {"PATH_INFO": path_info, "QUERY_STRING": query, "SCRIPT_NAME": ""}
    assert request_uri(meta) == uri


def test_the_script_name_prefixes_the_rebuilt_path():
    meta = {"SCRIPT_NAME": "/registry", "PATH_INFO": "/api/v1/services"}
    assert request_uri(meta) == "/registry/api/v1/services"
