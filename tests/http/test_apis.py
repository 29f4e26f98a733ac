"""Which API answers a path, and the typed per-request channels of registry.http."""

from __future__ import annotations

import gzip
import logging

import orjson
import pytest
from django.test import Client

from eureka_compat.errors import EUREKA_ERRORS
from registry.api.errors import NATIVE_ERRORS
from registry.http import cache
from registry.http.apis import api_for_path
from registry.http.cache import CachedBody, CachedBodyResponse, gzip_bytes
from registry.http.context import CONTEXT_KEY, RequestContext, request_context
from registry.http.middleware import compression
from tests.api.helpers import instance, register


@pytest.mark.parametrize(
    ("path", "errors", "json_bodies", "https_only"),
    [
        ("/eureka/v2/apps", EUREKA_ERRORS, False, True),
        ("/eureka/anything", EUREKA_ERRORS, False, True),
        ("/api/eureka/token/v2/apps", EUREKA_ERRORS, False, True),
        ("/api/v1/instances", NATIVE_ERRORS, True, True),
        ("/api/schema/", NATIVE_ERRORS, True, True),
        ("/uptime", NATIVE_ERRORS, True, False),
        ("/nope", NATIVE_ERRORS, True, False),
        ("/eurekax", NATIVE_ERRORS, True, False),
    ],
)
def test_each_path_has_the_api_that_serves_it(path, errors, json_bodies, https_only):
    api = api_for_path(path)
    assert (api.errors, api.json_bodies, api.https_only) == (
        errors,
        json_bodies,
        https_only,
    )


def test_each_error_format_writes_its_own_bodies():
    native = NATIVE_ERRORS.response(404, "Instance not found")
    eureka = EUREKA_ERRORS.response(404, "Instance not found")
    assert orjson.loads(native.content) == {"Error": "Instance not found"}
    assert (eureka.status_code, eureka.content) == (404, b"")


def test_the_request_context_is_made_once_per_request():
    meta: dict[str, object] = {}
    context = request_context(meta)
    assert request_context(meta) is context
    assert meta[CONTEXT_KEY] is context
    assert (context.request_id, context.namespace) == ("", "")
    assert RequestContext("id").request_id == "id"


def test_a_cached_body_response_carries_its_entry():
    entry = CachedBody((1,), b"[1,2,3]" * 100)
    response = CachedBodyResponse(entry, "application/json")
    assert response.cached is entry
    assert response["ETag"] == entry.etag
    assert gzip.decompress(entry.gzipped()) == response.content


def test_gzip_reuses_the_cached_gzip_form(client: Client, runtime, monkeypatch):
    for port in range(20):
        assert register(client, instance(value=f"10.0.0.1:{port}")).status_code == 201
    compressed: list[bytes] = []

    def counting(body: bytes) -> bytes:
        compressed.append(body)
        return gzip_bytes(body)

    monkeypatch.setattr(cache, "gzip_bytes", counting)
    monkeypatch.setattr(compression, "gzip_bytes", counting)
    first = client.get("/api/v1/instances", HTTP_ACCEPT_ENCODING="gzip")
    again = client.get("/api/v1/instances", HTTP_ACCEPT_ENCODING="gzip")
    assert first["Content-Encoding"] == again["Content-Encoding"] == "gzip"
    assert first.content == again.content
    assert first["Content-Length"] == str(len(first.content))
    assert len(orjson.loads(gzip.decompress(first.content))["instances"]) == 20
    assert len(compressed) == 1  # by the cache entry, once


def test_the_access_log_gets_the_namespace_and_request_id(client, runtime, caplog):
    with caplog.at_level(logging.INFO, logger="registry.access"):
        response = client.get("/api/v1/services", HTTP_X_REQUEST_ID="req-1")
    assert response["X-Request-Id"] == "req-1"
    (record,) = [r for r in caplog.records if r.name == "registry.access"]
    fields = record.fields
    assert (fields["namespace"], fields["request_id"], fields["status"]) == (
        "default",
        "req-1",
        200,
    )
