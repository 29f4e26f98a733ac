"""Refused ``POST /api/v1/instances`` (spec §5.3 error table, §2.2 request bodies,
decision Q4 and the whitespace rule)."""

from __future__ import annotations

import contextlib
import json
import socket

import pytest

from tests.e2e.support import (
    JSON_HEADERS,
    assert_error,
    instance_body,
    post_raw,
    service_instances,
    unique,
)

pytestmark = pytest.mark.e2e

REGISTRATION_FAILED = "Failed to register instance"
SERVICE_NAME_REQUIRED = "Service name is required"
ENDPOINT_REQUIRED = "Instance endpoint is required"
ENDPOINT_INCOMPLETE = "Endpoint type or value are missing"
ENDPOINT_TYPE_INVALID = "Endpoint type is invalid"
STATUS_INVALID = "Valid statuses are: UP, STARTING, OUT_OF_SERVICE"
UNSUPPORTED_MEDIA_TYPE = "Bad Content-Type or charset, expected 'application/json'"


# --- errors (spec §5.3 table, in order) --------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"",
        b"not json",
        b"[]",
        b'"text"',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},"ttl":"30"}',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},"ttl":-1}',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},"ttl":30.5}',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},'
        b'"ttl":4294967296}',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},"tags":"a"}',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},"tags":[1]}',
        b'{"service_name":5,"endpoint":{"type":"http","value":"h:1"}}',
        b'{"service_name":"x","endpoint":"h:1"}',
        b'{"service_name":"x","endpoint":{"type":1,"value":"h:1"}}',
        b'{"service_name":"x","endpoint":{"type":"http","value":["h:1"]}}',
        b'{"service_name":"x","endpoint":{"type":"http","value":"h:1"},"status":1}',
    ],
    ids=lambda body: body.decode()[:60] or "empty",
)
def test_unparseable_body_is_400(default_server, http, body):
    response = post_raw(http, default_server, body)
    assert_error(response, 400, REGISTRATION_FAILED)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"endpoint": {"type": "http", "value": "h:1"}}, SERVICE_NAME_REQUIRED),
        (
            {"service_name": "", "endpoint": {"type": "http", "value": "h:1"}},
            SERVICE_NAME_REQUIRED,
        ),
        (None, SERVICE_NAME_REQUIRED),  # ``null`` is an all-defaults object
        ({"service_name": "x"}, ENDPOINT_REQUIRED),
        ({"service_name": "x", "endpoint": None}, ENDPOINT_REQUIRED),
        ({"service_name": "x", "endpoint": {}}, ENDPOINT_INCOMPLETE),
        ({"service_name": "x", "endpoint": {"value": "h:1"}}, ENDPOINT_INCOMPLETE),
        (
            {"service_name": "x", "endpoint": {"type": "", "value": "h:1"}},
            ENDPOINT_INCOMPLETE,
        ),
        ({"service_name": "x", "endpoint": {"type": "http"}}, ENDPOINT_INCOMPLETE),
        (
            {"service_name": "x", "endpoint": {"type": "http", "value": ""}},
            ENDPOINT_INCOMPLETE,
        ),
        (
            {"service_name": "x", "endpoint": {"type": "http", "value": "   "}},
            ENDPOINT_INCOMPLETE,
        ),
        (
            {"service_name": "x", "endpoint": {"type": "http", "value": "\t\n "}},
            ENDPOINT_INCOMPLETE,
        ),
        (
            {"service_name": "x", "endpoint": {"type": "icmp", "value": "1.2.3.4"}},
            ENDPOINT_TYPE_INVALID,
        ),
        (
            {"service_name": "x", "endpoint": {"type": "HTTP", "value": "h:1"}},
            ENDPOINT_TYPE_INVALID,
        ),
        (
            {
                "service_name": "x",
                "endpoint": {"type": "http", "value": "h:1"},
                "status": "DOWN",
            },
            STATUS_INVALID,
        ),
        (
            {
                "service_name": "x",
                "endpoint": {"type": "http", "value": "h:1"},
                "status": "ALL",
            },
            STATUS_INVALID,
        ),
        # The first failing check wins.
        ({"endpoint": {"type": "icmp", "value": ""}}, SERVICE_NAME_REQUIRED),
        (
            {"service_name": "x", "endpoint": {"type": "icmp"}, "status": "nope"},
            ENDPOINT_INCOMPLETE,
        ),
        (
            {
                "service_name": "x" * 65,
                "endpoint": {"type": "http", "value": "h:1"},
                "status": "nope",
            },
            STATUS_INVALID,
        ),
    ],
)
def test_invalid_registration_is_400(default_server, http, body, text):
    response = post_raw(http, default_server, json.dumps(body).encode())
    assert_error(response, 400, text)


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"service_name": "s" * 65}, "Service name exceeded 64 bytes"),
        ({"service_name": "é" * 33}, "Service name exceeded 64 bytes"),  # 66 bytes
        (
            {"endpoint": {"type": "http", "value": "v" * 129}},
            "Failed to register the instance because endpoint value exceeded 128 bytes",
        ),
        (
            {"endpoint": {"type": "http", "value": "é" * 65}},
            "Failed to register the instance because endpoint value exceeded 128 bytes",
        ),
        ({"metadata": "m" * 1024}, "Metadata exceeded 1024 bytes"),  # 1026 bytes
        ({"metadata": {"k": "v" * 1100}}, "Metadata exceeded 1024 bytes"),
    ],
)
def test_length_limits_are_400(default_server, http, overrides, text):
    body = {**instance_body(unique()), **overrides}
    response = http.post(default_server.url("/api/v1/instances"), json=body)
    assert_error(response, 400, text)
    if "service_name" not in overrides:
        assert service_instances(http, default_server, body["service_name"]) == []


def test_metadata_limit_counts_the_stored_compact_bytes(default_server, http):
    # docs/compatibility.md: whitespace as sent does not count against the limit.
    name = unique()
    # 1022 bytes once compacted, 1030 bytes as sent.
    metadata_text = '{    "k"    :    "%s"}' % ("v" * 1014)
    assert len(metadata_text.encode()) > 1024
    body = (
        (
            '{"service_name":"NAME","endpoint":{"type":"http","value":"h:1"},'
            '"metadata":META}'
        )
        .replace("NAME", name)
        .replace("META", metadata_text)
    )
    response = post_raw(http, default_server, body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
        "application/json; charset=iso-8859-1",
        "application/json; charset=utf8",
        "application/jsonx",
        "",
    ],
)
def test_non_json_content_type_is_415(default_server, http, content_type):
    name = unique()
    body = (
        b'{"service_name":"%s","endpoint":{"type":"http","value":"h:1"}}'
        % name.encode()
    )
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post(
        default_server.url("/api/v1/instances"), data=body, headers=headers
    )
    if not content_type:
        # requests sends no Content-Type for bytes: the media type is missing.
        assert "Content-Type" not in response.request.headers
    assert_error(response, 415, UNSUPPORTED_MEDIA_TYPE)
    assert service_instances(http, default_server, name) == []


def test_content_type_check_comes_before_routing(default_server, http):
    response = http.post(
        default_server.url("/api/v1/nope"),
        data=b"x=1",
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, 415, UNSUPPORTED_MEDIA_TYPE)


def test_requests_without_a_body_are_not_content_type_checked(default_server, http):
    response = http.get(
        default_server.url("/api/v1/services"), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200


# --- request bodies -----------------------------------------------------------------


def chunked_post(http, server, body: bytes, content_type: str):
    response = http.post(
        server.url("/api/v1/instances"),
        data=iter([body[:20], body[20:]]),  # a generator: chunked transfer coding
        headers={"Content-Type": content_type},
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    return response


def test_chunked_registration_body(default_server, http):
    """Chunked bodies are read like any other (Django alone would see none)."""
    name = unique()
    body = json.dumps(instance_body(name)).encode()
    response = chunked_post(http, default_server, body, "application/json")
    assert response.status_code == 201, response.text
    assert [
        i["service_name"] for i in service_instances(http, default_server, name)
    ] == [name]


def test_chunked_bodies_are_content_type_checked_too(default_server, http):
    # docs/compatibility.md: the original skipped the check for chunked bodies.
    name = unique()
    body = json.dumps(instance_body(name)).encode()
    response = chunked_post(http, default_server, body, "text/plain")
    assert_error(
        response, 415, "Bad Content-Type or charset, expected 'application/json'"
    )
    assert service_instances(http, default_server, name) == []


def oversized_registration(name: str) -> bytes:
    """A registration body of ~3 MB (its metadata alone is far over 1024 bytes)."""
    return json.dumps(instance_body(name, metadata="m" * 3_000_000)).encode()


def test_oversized_body_gets_a_json_error(default_server, http):
    name = unique()
    response = post_raw(
        http,
        default_server,
        oversized_registration(name),
        {**JSON_HEADERS, "Connection": "close"},  # see the keep-alive test below
    )
    # The original reads it all and the metadata check answers; a size cap (413)
    # does too, as long as the error is the registry's JSON.
    assert response.status_code in (400, 413)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert list(response.json()) == ["Error"]
    assert service_instances(http, default_server, name) == []


def test_keep_alive_connection_survives_an_oversized_body(default_server):
    """Either drain the body and keep the connection, or say ``Connection: close``.

    A raw socket sends the oversized POST and, on the same connection, a GET:
    without either, the server reads the rest of the body as the next request.
    """
    body = oversized_registration(unique())
    head = (
        "POST /api/v1/instances HTTP/1.1\r\n"
        f"Host: {default_server.host}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    follow_up = (
        f"GET /api/v1/services HTTP/1.1\r\nHost: {default_server.host}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    received = b""
    with socket.create_connection(("127.0.0.1", default_server.port), 10) as sock:
        with contextlib.suppress(OSError):  # the server may stop reading
            sock.sendall(head + body + follow_up)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                received += chunk

    first_head = received.split(b"\r\n\r\n", 1)[0].lower()
    assert first_head.startswith((b"http/1.1 413", b"http/1.1 400")), received[:200]
    if b"\r\nconnection: close" not in first_head:
        assert b"HTTP/1.1 200 OK" in received, received[:400]
