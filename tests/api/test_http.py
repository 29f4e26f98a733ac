"""What every response shares (spec §2): errors, headers, gzip, ETag, HTTPS."""

from __future__ import annotations

import gzip
import re

import orjson
import pytest

from .helpers import error, instance, register


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services/",
        "/api/v1/instances/",
        "/api/v1/nope",
        "/nope",
        "/api/v1/instances//heartbeat",
    ],
)
def test_unknown_paths_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert error(response) == "Resource not found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", "/api/v1/instances/abc", "GET, DELETE"),
        ("post", "/api/v1/services", "GET"),
        ("delete", "/api/v1/services/x", "GET"),
        ("get", "/api/v1/instances/abc/heartbeat", "PUT"),
        ("head", "/api/v1/services", "GET"),
        ("options", "/api/v1/instances", "GET, POST"),
        ("post", "/uptime", "GET"),
    ],
)
def test_wrong_methods_are_405(client, method, path, allow):
    response = client.generic(method.upper(), path)
    assert response.status_code == 405
    if method != "head":
        assert error(response) == "Method not allowed"
    assert response["Allow"] == allow


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/json; charset=latin1",
        "application/jsonx",
        "",
    ],
)
def test_bodies_must_be_json(client, runtime, content_type):
    response = client.generic(
        "POST", "/api/v1/instances", orjson.dumps(instance()), content_type=content_type
    )
    assert response.status_code == 415
    assert error(response) == "Bad Content-Type or charset, expected 'application/json'"
    assert runtime.catalogs.get("default").list_instances() == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=UTF-8",
        "Application/JSON;charset=utf-8",
    ],
)
def test_json_content_types_are_accepted(client, content_type):
    response = client.generic(
        "POST", "/api/v1/instances", orjson.dumps(instance()), content_type=content_type
    )
    assert response.status_code == 201


def test_content_type_check_applies_before_routing(client):
    response = client.generic("POST", "/nope", b"x", content_type="text/plain")
    assert response.status_code == 415


def test_bodyless_requests_are_not_checked(client):
    created = orjson.loads(register(client, instance()).content)
    response = client.generic(
        "PUT",
        f"/api/v1/instances/{created['id']}/heartbeat",
        b"",
        content_type="text/plain",
    )
    assert response.status_code == 200


def test_request_ids(client):
    first = client.get("/api/v1/services")
    second = client.get("/api/v1/services")
    assert re.fullmatch(r"[A-Za-z]{10}_\d+_\d+", first["REQUEST_ID"])
    assert first["X-Request-Id"] == first["REQUEST_ID"]
    assert first["REQUEST_ID"].split("_")[0] == second["REQUEST_ID"].split("_")[0]
    assert int(second["REQUEST_ID"].split("_")[2]) > int(
        first["REQUEST_ID"].split("_")[2]
    )


def test_incoming_request_id_is_honoured(client):
    response = client.get("/nope", headers={"X-Request-Id": "abc-123"})
    assert response["X-Request-Id"] == response["REQUEST_ID"] == "abc-123"
    weird = client.get("/", headers={"X-Request-Id": "has space"})
    assert weird["X-Request-Id"] != "has space"


def test_common_headers(client):
    response = client.get("/api/v1/services")
    assert response["Vary"] == "Accept-Encoding"
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Length"] == str(len(response.content))


@pytest.fixture
def big_listing(client) -> bytes:
    for n in range(20):
        register(client, instance(value=f"10.0.0.{n}:80", tags=["a", "b"]))
    return client.get("/api/v1/instances").content


@pytest.mark.parametrize(
    "accept",
    ["gzip", "deflate, gzip", "gzip;q=0.5", "br;q=1.0, gzip;q=0.8", "*", "GZIP"],
)
def test_gzip_is_negotiated(client, big_listing, accept):
    response = client.get("/api/v1/instances", headers={"Accept-Encoding": accept})
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == big_listing
    assert response["Content-Length"] == str(len(response.content))


@pytest.mark.parametrize(
    "accept", ["", "identity", "gzip;q=0", "deflate", "*;q=0", "gzip;q=0, *"]
)
def test_gzip_is_not_used_unless_acceptable(client, big_listing, accept):
    response = client.get("/api/v1/instances", headers={"Accept-Encoding": accept})
    assert not response.has_header("Content-Encoding")
    assert response.content == big_listing


def test_empty_and_small_bodies_are_never_gzipped(client):
    created = orjson.loads(register(client, instance()).content)
    deleted = client.delete(
        f"/api/v1/instances/{created['id']}", headers={"Accept-Encoding": "gzip"}
    )
    assert deleted.content == b""
    assert not deleted.has_header("Content-Encoding")
    small = client.get("/api/v1/services", headers={"Accept-Encoding": "gzip"})
    assert not small.has_header("Content-Encoding")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services",
        "/api/v1/instances",
        "/api/v1/instances?service_name=reviews",
        "/api/v1/services/reviews",
        "/uptime",
        "/",
    ],
)
def test_every_get_has_an_etag(client, path):
    register(client, instance())
    response = client.get(path)
    assert response.status_code == 200
    assert re.fullmatch(r'W/"[0-9a-f]{24}"', response["ETag"])


def test_if_none_match_answers_304_until_something_changes(client):
    register(client, instance())
    first = client.get("/api/v1/instances")
    etag = first["ETag"]

    not_modified = client.get("/api/v1/instances", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    listed = client.get(
        "/api/v1/instances", headers={"If-None-Match": f'"other", {etag}'}
    )
    assert listed.status_code == 304

    register(client, instance(value="10.0.0.6:80"))
    changed = client.get("/api/v1/instances", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert len(orjson.loads(changed.content)["instances"]) == 2


def test_etag_does_not_depend_on_the_encoding(client, big_listing):
    plain = client.get("/api/v1/instances")
    zipped = client.get(
        "/api/v1/instances",
        headers={"Accept-Encoding": "gzip", "If-None-Match": plain["ETag"]},
    )
    assert zipped.status_code == 304


def test_require_https_redirects_api_paths(make_runtime, client):
    runtime = make_runtime(require_https=True)
    response = client.get("/api/v1/services?x=1", headers={"Host": "r.example:8080"})
    assert response.status_code == 301
    assert response["Location"] == "https://r.example:8080/api/v1/services?x=1"
    assert response.content == b""

    created = register(client, instance(), X_Forwarded_Proto="https", Host="r.example")
    assert created.status_code == 201
    assert orjson.loads(created.content)["links"]["self"].startswith(
        "https://r.example/"
    )
    assert (
        client.post(
            "/api/v1/instances",
            orjson.dumps(instance("x")),
            content_type="application/json",
        ).status_code
        == 301
    )
    assert runtime.catalogs.get("default").list_services() == ["reviews"]


def test_require_https_spares_health_paths(make_runtime, client):
    make_runtime(require_https=True)
    assert client.get("/").status_code == 200
    assert client.get("/uptime").status_code == 200


def test_wssc_header_counts_as_secure(make_runtime, client):
    make_runtime(require_https=True)
    response = client.get("/api/v1/services", **{"HTTP_$WSSC": "https"})
    assert response.status_code == 200


def test_unhandled_errors_are_500_json(client, runtime, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(runtime.catalogs, "get", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/services")
    assert response.status_code == 500
    assert error(response) == "Internal Server Error"


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/v1/services/a%20b", "https://r.example/api/v1/services/a%20b"),
        ("/api/v1/services/a%0Ab", "https://r.example/api/v1/services/a%0Ab"),
        (
            "/api/v1/services/%C3%A9?x=%C3%A9",
            "https://r.example/api/v1/services/%C3%A9?x=%C3%A9",
        ),
    ],
)
def test_redirect_locations_stay_escaped(make_runtime, client, path, location):
    make_runtime(require_https=True)
    response = client.get(path, headers={"Host": "r.example"})
    assert response.status_code == 301
    assert response["Location"] == location


def test_successful_responses_carry_no_allow_header(client):
    for path in ("/", "/uptime", "/api/v1/services"):
        assert not client.get(path).has_header("Allow")


def test_not_modified_has_no_content_length(client):
    etag = client.get("/api/v1/services")["ETag"]
    response = client.get("/api/v1/services", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert not response.has_header("Content-Length")


def test_oversized_bodies_get_413_and_change_nothing(client, runtime):
    body = (
        b'{"service_name":"x","endpoint":{"type":"tcp","value":"v"},"pad":"'
        + b"x" * (1024 * 1024)
        + b'"}'
    )
    response = client.post("/api/v1/instances", body, content_type="application/json")
    assert response.status_code == 413
    assert error(response) == "Request body exceeded 1048576 bytes"
    assert runtime.catalogs.get("default").list_instances() == []
    eureka = client.post("/eureka/v2/apps/X", body, content_type="application/json")
    assert (eureka.status_code, eureka.content) == (413, b"")
