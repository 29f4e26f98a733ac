"""The WSGI application the servers run: in-memory bodies go out as one list."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_finished
from django.http import HttpRequest

from registry_project.wsgi import application


def environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8080",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }


@pytest.fixture
def finished() -> Iterator[list[object]]:
    """Django's request_finished signals sent while the test runs."""
    sent: list[object] = []

    def record(sender: object, **kwargs: object) -> None:
        sent.append(sender)

    request_finished.connect(record)
    yield sent
    request_finished.disconnect(record)


def test_an_in_memory_body_is_one_list_item_and_the_response_is_closed(finished):
    statuses: list[str] = []
    result = application(environ("/api/v1/services"), lambda s, h: statuses.append(s))
    assert type(result) is list
    assert result == [b'{"services":[]}']
    assert statuses == ["200 OK"]
    assert len(finished) == 1  # closed once, before the server sends it


def test_a_file_response_is_left_to_the_server(finished):
    statuses: list[str] = []
    path = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"
    result = application(environ(path), lambda s, h: statuses.append(s))
    try:
        assert statuses == ["200 OK"]
        assert not isinstance(result, list)
        assert b"".join(result)
        assert finished == []  # the server closes it when it is sent
    finally:
        result.close()  # type: ignore[attr-defined]
    assert len(finished) == 1


def test_a_script_name_sets_the_prefix_from_then_on():
    """Without SCRIPT_NAME the prefix stays Django's default ``/`` (not set per
    request); once one came, every request sets its own, as Django does."""
    from django.urls import get_script_prefix

    from registry.http.handler import RegistryWSGIHandler

    handler = RegistryWSGIHandler()
    statuses: list[str] = []
    handler(environ("/api/v1/services"), lambda s, h: statuses.append(s))
    assert get_script_prefix() == "/"
    behind = environ("/api/v1/services") | {"SCRIPT_NAME": "/registry"}
    handler(behind, lambda s, h: statuses.append(s))
    assert get_script_prefix() == "/registry/"
    handler(environ("/api/v1/services"), lambda s, h: statuses.append(s))
    assert get_script_prefix() == "/"
    slashed = environ("/api/v1/services") | {"SCRIPT_NAME": "/registry/"}
    handler(slashed, lambda s, h: statuses.append(s))
    assert get_script_prefix() == "/registry/"
    assert statuses == ["200 OK"] * 4


def test_view_middleware_takes_djangos_general_path(settings):
    """The short view path is only taken when nothing needs the general one."""
    from registry.http.handler import RegistryWSGIHandler

    assert RegistryWSGIHandler()._lean
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ViewMiddleware"]
    handler = RegistryWSGIHandler()
    assert not handler._lean
    ViewMiddleware.seen.clear()
    statuses: list[str] = []
    result = handler(environ("/api/v1/services"), lambda s, h: statuses.append(s))
    assert (statuses, result) == (["200 OK"], [b'{"services":[]}'])
    assert ViewMiddleware.seen == ["/api/v1/services"]


class ViewMiddleware:
    seen: list[str] = []

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)

    def process_view(self, request: Any, *args: Any) -> None:
        self.seen.append(request.path_info)


def test_requests_leave_no_garbage_for_the_cyclic_collector():
    """Every request's objects are freed by reference counting (a view bound its
    handlers to itself, a cycle holding the request: issue 12, lean hot paths)."""
    import gc
    import json

    body = json.dumps(
        {
            "service_name": "no-garbage",
            "endpoint": {"type": "http", "value": "10.0.0.1:80"},
            "ttl": 60,
        }
    ).encode()
    post = environ("/api/v1/instances") | {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    created = json.loads(b"".join(application(post, lambda s, h: None)))
    heartbeat = environ(f"/api/v1/instances/{created['id']}/heartbeat") | {
        "REQUEST_METHOD": "PUT"
    }
    requests = [
        heartbeat,
        environ("/api/v1/services/no-garbage"),
        environ("/api/v1/instances") | {"QUERY_STRING": "service_name=no-garbage"},
        environ("/api/v1/instances/no-garbage/heartbeat") | {"REQUEST_METHOD": "PUT"},
    ]
    statuses: list[str] = []
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for request in requests * 20:
            application(dict(request), lambda s, h: statuses.append(s))
        gc.collect()
        # Only these requests' objects count: another test's may become garbage
        # meanwhile (whatever held them let go).
        left = [
            type(o).__name__
            for o in gc.garbage
            if isinstance(o, HttpRequest) and "garbage" in o.get_full_path()
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert set(statuses) == {"200 OK", "410 Gone"}
    assert left == []


def test_a_body_kept_compressed_goes_out_inflated_piece_by_piece(finished, runtime):
    """The Eureka full registry is kept as gzip; without gzip it is inflated as it
    is sent, in pieces of INFLATED_PIECE_BYTES, never whole."""
    import gzip
    import json

    from registry.http.cache import INFLATED_PIECE_BYTES
    from tests.eureka.helpers import eureka_instance

    for port in range(400):  # about 290 KB of JSON: two pieces
        body = json.dumps(eureka_instance(port_number=port + 1)).encode()
        post = environ("/eureka/v2/apps/DEMO-APP") | {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        assert application(post, lambda s, h: None) == [b""]
    finished.clear()
    json_apps = environ("/eureka/v2/apps") | {"HTTP_ACCEPT": "application/json"}
    zipped = application(
        json_apps | {"HTTP_ACCEPT_ENCODING": "gzip"}, lambda s, h: None
    )
    assert type(zipped) is list  # the gzip form, as kept: one piece
    plain = gzip.decompress(zipped[0])
    assert len(plain) > INFLATED_PIECE_BYTES
    sent: list[tuple[str, list[tuple[str, str]]]] = []
    result = application(json_apps, lambda s, h: sent.append((s, h)))
    try:
        assert not isinstance(result, list)
        pieces = list(result)
        assert b"".join(pieces) == plain
        assert len(pieces) == 2
        assert all(len(piece) <= INFLATED_PIECE_BYTES for piece in pieces)
        [(status, headers)] = sent
        assert status == "200 OK"
        assert ("Content-Length", str(len(plain))) in headers
        assert not any(name == "Content-Encoding" for name, _ in headers)
        assert len(finished) == 1  # two for the gzip fetch
    finally:
        result.close()  # type: ignore[attr-defined]
    assert len(finished) == 2
