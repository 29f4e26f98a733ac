"""``--require_https`` (spec §3.6): plain-HTTP API requests are redirected."""

from __future__ import annotations

import pytest

from tests.e2e.support import assert_empty, instance_body, unique

pytestmark = pytest.mark.e2e

HTTPS = {"X-Forwarded-Proto": "https"}


def assert_redirect(response, location):
    assert response.status_code == 301
    assert response.headers["Location"] == location
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "X-Request-Id" in response.headers


def test_plain_http_api_request_is_redirected(https_server, http):
    response = http.get(https_server.url("/api/v1/services?x=1"), allow_redirects=False)
    assert_redirect(response, f"https://{https_server.host}/api/v1/services?x=1")


def test_redirect_uses_the_host_header_and_keeps_the_query(https_server, http):
    response = http.get(
        https_server.url("/api/v1/instances?service_name=a%20b&fields="),
        headers={"Host": "registry.example.com"},
        allow_redirects=False,
    )
    assert_redirect(
        response,
        "https://registry.example.com/api/v1/instances?service_name=a%20b&fields=",
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Forwarded-Proto": "http"}, {"X-Forwarded-Proto": "HTTPS"}],
)
def test_writes_are_redirected_and_not_applied(https_server, http, headers):
    name = unique()
    response = http.post(
        https_server.url("/api/v1/instances"),
        json=instance_body(name),
        headers=headers,
        allow_redirects=False,
    )
    assert_redirect(response, f"https://{https_server.host}/api/v1/instances")
    listed = http.get(
        https_server.url(f"/api/v1/instances?service_name={name}"), headers=HTTPS
    )
    assert listed.json() == {"instances": []}


def test_redirect_comes_before_authentication(https_server, http):
    response = http.get(
        https_server.url("/api/v1/services"),
        headers={"Authorization": "Basic nonsense"},
        allow_redirects=False,
    )
    assert response.status_code == 301


def test_forwarded_https_is_served(https_server, http):
    name = unique()
    created = http.post(
        https_server.url("/api/v1/instances"), json=instance_body(name), headers=HTTPS
    )
    assert created.status_code == 201
    instance_id = created.json()["id"]
    assert created.headers["Location"] == (
        f"https://{https_server.host}/api/v1/instances/{instance_id}"
    )
    response = http.get(https_server.url("/api/v1/services?x=1"), headers=HTTPS)
    assert response.status_code == 200
    assert name in response.json()["services"]
    assert_empty(
        http.put(
            https_server.url(f"/api/v1/instances/{instance_id}/heartbeat"),
            headers=HTTPS,
        )
    )


def test_websphere_proxy_header_counts_as_https(https_server, http):
    response = http.get(
        https_server.url("/api/v1/services"),
        headers={"$WSSC": "https"},
        allow_redirects=False,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/uptime"])
def test_health_endpoints_are_never_redirected(https_server, http, path):
    response = http.get(https_server.url(path), allow_redirects=False)
    assert response.status_code == 200


def test_default_server_does_not_redirect(default_server, http):
    response = http.get(default_server.url("/api/v1/services"), allow_redirects=False)
    assert response.status_code == 200


def test_redirect_keeps_the_path_percent_encoded(https_server, http):
    response = http.get(
        https_server.url("/api/v1/services/a%20b%C3%A9%25?q=%2F"), allow_redirects=False
    )
    assert_redirect(
        response, f"https://{https_server.host}/api/v1/services/a%20b%C3%A9%25?q=%2F"
    )


def test_redirect_escapes_the_decoded_path_again(https_server, http):
    """granian gives no raw URI: an escaped "/" comes back as "/" (compatibility.md);
    under gunicorn the Location is exactly as sent (tests/e2e/test_servers.py)."""
    response = http.get(
        https_server.url("/api/v1/services/a%2Fb%7E"), allow_redirects=False
    )
    assert_redirect(response, f"https://{https_server.host}/api/v1/services/a/b~")
