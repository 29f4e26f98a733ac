"""Common HTTP behaviour (spec §2, decisions Q3, Q16): routing errors, the headers
every response carries, gzip negotiation and conditional GETs."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tests.e2e.support import (
    REQUEST_ID_PATTERN,
    assert_empty,
    assert_error,
    client_session,
    instance_body,
    register,
    unique,
)

pytestmark = pytest.mark.e2e

NOT_FOUND = "Resource not found"
METHOD_NOT_ALLOWED = "Method not allowed"
JSON_TYPE = "application/json; charset=utf-8"


# --- routing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services/",
        "/api/v1/instances/",
        "/api/v1/nope",
        "/api/v1",
        "/api/v2/services",
        "/API/v1/services",
        "/api/v1/instances/abc/heartbeat/",
        "/api/v1/instances/abc/nope",
        "/nope",
    ],
)
def test_unknown_path_is_404(default_server, http, path):
    assert_error(http.get(default_server.url(path)), 404, NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/instances/0123456789abcdef"),
        ("POST", "/api/v1/instances/0123456789abcdef"),
        ("POST", "/api/v1/services"),
        ("DELETE", "/api/v1/services"),
        ("PUT", "/api/v1/services/x"),
        ("DELETE", "/api/v1/instances"),
        ("GET", "/api/v1/instances/0123456789abcdef/heartbeat"),
        ("POST", "/api/v1/instances/0123456789abcdef/heartbeat"),
        ("OPTIONS", "/api/v1/instances"),
        ("OPTIONS", "/api/v1/services"),
        ("POST", "/uptime"),
    ],
)
def test_wrong_method_is_405(default_server, http, method, path):
    response = http.request(method, default_server.url(path))
    assert_error(response, 405, METHOD_NOT_ALLOWED)


@pytest.mark.parametrize(
    "path", ["/api/v1/services", "/api/v1/instances", "/", "/uptime"]
)
def test_head_is_405(default_server, http, path):
    response = http.head(default_server.url(path))
    assert response.status_code == 405
    assert response.headers["Content-Type"] == JSON_TYPE
    assert response.content == b""  # HEAD never has a body


def test_unknown_method_on_a_known_path_does_not_change_state(default_server, http):
    name = unique()
    result = register(http, default_server, instance_body(name))
    response = http.put(
        default_server.url(f"/api/v1/instances/{result['id']}"),
        json=instance_body(name, status="OUT_OF_SERVICE"),
    )
    assert_error(response, 405, METHOD_NOT_ALLOWED)
    instance = http.get(default_server.url(f"/api/v1/instances/{result['id']}"))
    assert instance.json()["instance"]["status"] == "UP"


# --- headers on every response --------------------------------------------------------


def sample_responses(server, http):
    """One response of each kind, in request order: 201, 200, 400, 404, 405, 410,
    415, empty 200s."""
    name = unique()
    created = http.post(server.url("/api/v1/instances"), json=instance_body(name))
    instance_id = created.json()["id"]
    return [
        created,
        http.get(server.url("/")),
        http.get(server.url("/uptime")),
        http.get(server.url("/api/v1/services")),
        http.get(server.url("/api/v1/instances?bogus=1")),
        http.get(server.url("/api/v1/nope")),
        http.put(server.url("/api/v1/services")),
        http.put(server.url("/api/v1/instances/0123456789abcdef/heartbeat")),
        http.post(
            server.url("/api/v1/instances"),
            data=b"x",
            headers={"Content-Type": "text/plain"},
        ),
        http.put(server.url(f"/api/v1/instances/{instance_id}/heartbeat")),
        http.delete(server.url(f"/api/v1/instances/{instance_id}")),
    ]


def test_every_response_has_the_common_headers(default_server, http):
    http.headers["Accept-Encoding"] = "identity"  # Content-Length of the raw body
    responses = sample_responses(default_server, http)
    assert [r.status_code for r in responses] == [
        201,
        200,
        200,
        200,
        400,
        404,
        405,
        410,
        415,
        200,
        200,
    ]
    ids = []
    for response in responses:
        headers = response.headers
        assert headers["Content-Type"] == JSON_TYPE, response.url
        assert headers["Vary"] == "Accept-Encoding", response.url
        assert headers["Content-Length"] == str(len(response.content)), response.url
        request_id = headers["REQUEST_ID"]
        assert re.fullmatch(REQUEST_ID_PATTERN, request_id), request_id
        assert headers["X-Request-Id"] == request_id
        ids.append(request_id)
    # One prefix per process, a counter that grows with every request.
    prefixes = {i.split("_")[0] for i in ids}
    assert len(prefixes) == 1
    counters = [int(i.rsplit("_", 1)[1]) for i in ids]
    assert counters == sorted(counters)
    assert len(set(counters)) == len(counters)


def test_incoming_request_id_is_echoed(default_server, http):
    for path in ("/api/v1/services", "/api/v1/nope", "/"):
        response = http.get(
            default_server.url(path), headers={"X-Request-Id": "abc-123"}
        )
        assert response.headers["X-Request-Id"] == "abc-123"
        assert response.headers["REQUEST_ID"] == "abc-123"


def test_compact_json_bodies(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name, tags=["a"]))
    response = http.get(default_server.url(f"/api/v1/services/{name}"))
    assert (
        response.content == json.dumps(response.json(), separators=(",", ":")).encode()
    )


# --- gzip -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_listing(default_server):
    """A service with 20 instances, listed by the returned path (several KiB)."""
    name = unique("gzip")
    with client_session() as http:
        for n in range(20):
            register(
                http,
                default_server,
                instance_body(
                    name, f"10.1.0.{n}:8080", tags=["gzip", "test"], metadata={"n": n}
                ),
            )
    return f"/api/v1/instances?service_name={name}"


def raw_get(http, server, path, **headers):
    """GET without decoding: (response, body bytes exactly as sent)."""
    response = http.get(server.url(path), headers=headers, stream=True)
    body = response.raw.read(decode_content=False)
    response.close()
    return response, body


def plain_body(http, server, path) -> bytes:
    response, body = raw_get(http, server, path, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    return body


@pytest.mark.parametrize(
    "accept_encoding",
    [
        "gzip",
        "GZIP",
        "deflate, gzip",
        "gzip, deflate",
        "gzip;q=0.5",
        "br;q=1.0, gzip;q=0.1",
        "*",
    ],
)
def test_large_body_is_gzipped(default_server, http, large_listing, accept_encoding):
    plain = plain_body(http, default_server, large_listing)
    assert len(plain) > 2000

    response, body = raw_get(
        http, default_server, large_listing, **{"Accept-Encoding": accept_encoding}
    )

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Content-Type"] == JSON_TYPE
    assert response.headers["Content-Length"] == str(len(body))
    assert len(body) < len(plain)
    assert json.loads(gzip.decompress(body)) == json.loads(plain)
    assert len(json.loads(plain)["instances"]) == 20


@pytest.mark.parametrize(
    "accept_encoding", ["gzip;q=0", "identity", "deflate", "gzip;q=0, *", "", "br"]
)
def test_large_body_is_not_gzipped_unless_acceptable(
    default_server, http, large_listing, accept_encoding
):
    response, body = raw_get(
        http, default_server, large_listing, **{"Accept-Encoding": accept_encoding}
    )
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
    assert len(json.loads(body)["instances"]) == 20


def test_empty_bodies_are_never_gzipped(default_server, http):
    """Decision Q16: no ``Content-Encoding`` on a DELETE's empty 200 and the like."""
    gzip_only = {"Accept-Encoding": "gzip"}
    result = register(http, default_server, instance_body(unique()))
    heartbeat = http.put(
        default_server.url(f"/api/v1/instances/{result['id']}/heartbeat"),
        headers=gzip_only,
    )
    deleted = http.delete(
        default_server.url(f"/api/v1/instances/{result['id']}"), headers=gzip_only
    )
    root = http.get(default_server.url("/"), headers=gzip_only)
    for response in (heartbeat, deleted, root):
        assert_empty(response)
        assert "Content-Encoding" not in response.headers
        assert response.headers["Vary"] == "Accept-Encoding"


# --- conditional GET ------------------------------------------------------------------


def test_etag_and_if_none_match(default_server, http):
    name = unique()
    result = register(http, default_server, instance_body(name, "h:1"))
    paths = [
        f"/api/v1/services/{name}",
        f"/api/v1/instances?service_name={name}",
        f"/api/v1/instances/{result['id']}",
    ]
    etags = {}
    for path in paths:
        first = http.get(default_server.url(path))
        assert first.status_code == 200
        etag = first.headers["ETag"]
        etags[path] = etag

        again = http.get(default_server.url(path))
        assert again.headers["ETag"] == etag  # stable while nothing changes

        cached = http.get(default_server.url(path), headers={"If-None-Match": etag})
        assert cached.status_code == 304, path
        assert cached.content == b""
        assert cached.headers["ETag"] == etag
        assert re.fullmatch(REQUEST_ID_PATTERN, cached.headers["X-Request-Id"])

    # A heartbeat changes last_heartbeat: every representation changes.
    assert_empty(
        http.put(default_server.url(f"/api/v1/instances/{result['id']}/heartbeat"))
    )
    for path in paths:
        response = http.get(
            default_server.url(path), headers={"If-None-Match": etags[path]}
        )
        assert response.status_code == 200, path
        assert response.headers["ETag"] != etags[path]
        assert response.content


def test_etag_changes_when_a_service_gains_an_instance(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name, "h:1"))
    path = default_server.url(f"/api/v1/services/{name}")
    etag = http.get(path).headers["ETag"]

    register(http, default_server, instance_body(name, "h:2"))

    response = http.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert len(response.json()["instances"]) == 2
    assert response.headers["ETag"] != etag


def test_services_etag(trusted_server, http, namespace):
    auth = {"Authorization": f"Bearer {namespace}"}
    url = trusted_server.url("/api/v1/services")
    etag = http.get(url, headers=auth).headers["ETag"]
    assert http.get(url, headers={**auth, "If-None-Match": etag}).status_code == 304

    register(http, trusted_server, instance_body("svc"), auth)

    response = http.get(url, headers={**auth, "If-None-Match": etag})
    assert response.status_code == 200
    assert response.json() == {"services": ["svc"]}


def test_not_modified_has_no_misleading_content_length(default_server, http):
    """RFC 9110 §8.6: a 304 has no Content-Length, or the 200's."""
    http.headers["Accept-Encoding"] = "identity"
    url = default_server.url("/api/v1/services")
    first = http.get(url)
    cached = http.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304
    assert (
        cached.headers.get("Content-Length", first.headers["Content-Length"])
        == (first.headers["Content-Length"])
    )
