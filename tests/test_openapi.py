"""The OpenAPI description (``/api/schema/``) and its browser UI (``/api/docs/``).

The schema must describe the API as it behaves: the routes and methods come from the
URLconf, the error texts from the constants the views use, and a scenario checks that
every answer the server gives is documented for its operation, body and headers.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from registry.api.errors import (
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    STORE_UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
)
from registry.api.native import (
    DEREGISTRATION_FAILED,
    INSTANCE_NOT_FOUND,
    RENEWAL_FAILED,
    SERVICE_LOOKUP_FAILED,
    TOO_LONG_TEXTS,
)
from registry.api.openapi import BEARER_SCHEME_NAME
from registry.api.registration import (
    ENDPOINT_INCOMPLETE,
    ENDPOINT_REQUIRED,
    ENDPOINT_TYPE_INVALID,
    ENDPOINT_TYPES,
    MAX_TTL_SECONDS,
    REGISTRATION_FAILED,
    REGISTRATION_STATUSES,
    SERVICE_NAME_REQUIRED,
    STATUS_INVALID,
)
from registry.api.rendering import INSTANCE_FIELDS
from registry.api.selection import BAD_CRITERIA, BAD_FIELDS
from registry.config import RegistryConfig
from registry.resolvers import (
    InvalidTokenError,
    MalformedAuthorizationError,
    MissingTokenError,
)
from registry.runtime import RegistryRuntime, install_runtime
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
)

HOST = "registry.example.com:8080"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
SIDECAR_PREFIX = "/static/drf_spectacular_sidecar/"
SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME_NAME: []}, {}]


@pytest.fixture
def make_registry() -> Iterator[Callable[..., RegistryRuntime]]:
    """Install a fresh runtime with ``RegistryConfig`` overrides; restore afterwards."""
    previous = install_runtime(None)

    def make(**overrides: Any) -> RegistryRuntime:
        runtime = RegistryRuntime(dataclasses.replace(RegistryConfig(), **overrides))
        install_runtime(runtime)
        return runtime

    yield make
    install_runtime(previous)


@pytest.fixture
def api(make_registry: Callable[..., RegistryRuntime]) -> Client:
    make_registry()
    return Client(HTTP_HOST=HOST)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    previous = install_runtime(RegistryRuntime(RegistryConfig()))
    try:
        response = Client().get("/api/schema/?format=json")
    finally:
        install_runtime(previous)
    assert response.status_code == 200
    return orjson.loads(response.content)


# --- the URLconf, independently of drf-spectacular --------------------------------


def _openapi_path(pattern: Any) -> str:
    """``^instances/(?P<instance_id>[^/]+)$`` / ``<int:pk>`` -> ``{instance_id}``."""
    text = str(pattern).removeprefix("^").removesuffix("$")
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)


def _routes() -> Iterator[tuple[str, Any]]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, Any]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(
                    entry.url_patterns, prefix + _openapi_path(entry.pattern)
                )
            elif isinstance(entry, URLPattern):
                yield prefix + _openapi_path(entry.pattern), entry.callback

    yield from walk(get_resolver().url_patterns, "/")


def _in_scope(path: str) -> bool:
    return path in ("/", "/uptime") or path.startswith("/api/v1/")


def _allowed_methods(callback: Any) -> set[str]:
    """The methods the view serves, as DRF decides it (and reports in ``Allow``)."""
    view = callback.cls(**callback.initkwargs)
    for method, action in (getattr(callback, "actions", None) or {}).items():
        setattr(view, method, getattr(view, action))
    if hasattr(view, "get") and not hasattr(view, "head"):
        view.head = view.get  # as Django's View.setup() does
    return {m.upper() for m in view.http_method_names if hasattr(view, m)}


def _view_authenticates(callback: Any) -> bool:
    return bool(callback.cls.authentication_classes)


@functools.cache
def routes() -> dict[str, Any]:
    """The URLconf's in-scope routes: OpenAPI path -> view callback."""
    return {path: callback for path, callback in _routes() if _in_scope(path)}


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {m.lower() for m in HTTP_METHODS}:
                yield path, method, operation


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``$ref`` inlined (the registry's schemas are acyclic)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/components/schemas/")
            return _resolve(schema, schema["components"]["schemas"][name])
        return {key: _resolve(schema, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(schema, value) for value in node]
    return node


ERROR_REF = {"$ref": "#/components/schemas/Error"}
#: The one error status whose body is not an Error: the health report itself.
NON_ERROR_BODIES = {("/uptime", "503")}


def _is_error(response: dict[str, Any]) -> bool:
    content = response.get("content", {}).get("application/json", {})
    return content.get("schema") == ERROR_REF


def _error_texts(response: dict[str, Any]) -> set[str]:
    examples = response.get("content", {}).get("application/json", {}).get("examples")
    return {example["value"]["Error"] for example in (examples or {}).values()}


# --- the schema as a document ------------------------------------------------------


def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_every_route_is_documented_with_exactly_the_methods_it_serves(schema):
    assert {"/", "/uptime", "/api/v1/services", "/api/v1/instances"} <= set(routes())
    documented = {
        path: {method.upper() for method in item}
        for path, item in schema["paths"].items()
        if _in_scope(path)
    }
    served = {path: _allowed_methods(callback) for path, callback in routes().items()}
    assert documented == served


def test_the_methods_derived_from_the_views_are_what_the_server_serves(api):
    for path, callback in routes().items():
        url = re.sub(r"\{\w+\}", "x", path)
        live = {
            method
            for method in HTTP_METHODS
            if api.generic(method, url).status_code != 405
        }
        assert live == _allowed_methods(callback), path


def test_every_operation_documents_its_errors_and_auth(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        context = f"{method.upper()} {path}"
        assert {"405", "415", "500"} <= set(responses), context
        for code, response in responses.items():
            if int(code) >= 400 and (path, code) not in NON_ERROR_BODIES:
                assert _is_error(response), f"{context} {code}: not an Error body"
                assert _error_texts(response), f"{context} {code}: no error text"
            assert {"REQUEST_ID", "X-Request-Id"} <= set(response["headers"])
        if method == "get":
            assert {"ETag"} <= set(responses["304"]["headers"]), context
            assert {"ETag"} <= set(responses["200"]["headers"]), context
        if _view_authenticates(routes()[path]):
            assert operation["security"] == SECURITY, context
            assert {"301", "401", "503"} <= set(responses), context
            assert "WWW-Authenticate" in responses["401"]["headers"]
        else:
            assert "security" not in operation, context
            assert "401" not in responses, context


def test_bearer_scheme_explains_every_auth_mode(schema):
    scheme = schema["components"]["securitySchemes"][BEARER_SCHEME_NAME]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for word in ("`default`", "`trusted`", "`jwt`", "HS256", "`namespace`", "chain"):
        assert word in scheme["description"], word


def test_registration_body_matches_the_parser(schema):
    body = _resolve(
        schema,
        schema["paths"]["/api/v1/instances"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"],
    )
    members = body["properties"]
    endpoint = members["endpoint"]["properties"]
    assert endpoint["type"]["allOf"][0]["enum"] == sorted(ENDPOINT_TYPES)
    assert members["status"]["allOf"][0]["enum"] == list(REGISTRATION_STATUSES)
    assert members["service_name"]["maxLength"] == MAX_SERVICE_NAME_BYTES
    assert endpoint["value"]["maxLength"] == MAX_ENDPOINT_VALUE_BYTES
    assert (members["ttl"]["minimum"], members["ttl"]["maximum"]) == (
        0,
        MAX_TTL_SECONDS,
    )
    assert str(MAX_METADATA_BYTES) in members["metadata"]["description"]
    assert members["metadata"].keys() == {"description"}  # any JSON value
    assert set(body["required"]) == {"service_name", "endpoint"}


def test_listing_parameters_match_the_parser(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"]["/api/v1/instances"]["get"]["parameters"]
        if parameter["in"] == "query"
    }
    assert set(parameters) == {"fields", "service_name", "id", "status", "tags"}
    assert parameters["fields"]["schema"]["items"]["enum"] == list(INSTANCE_FIELDS)


# --- error texts: documented == used by the views --------------------------------

AUTH_TEXTS = {
    MalformedAuthorizationError.text,
    MissingTokenError.text,
    InvalidTokenError.text,
}
EVERY_ROUTE = {
    "405": {METHOD_NOT_ALLOWED},
    "415": {UNSUPPORTED_MEDIA_TYPE},
    "500": {INTERNAL_SERVER_ERROR},
}
API_ROUTE = {**EVERY_ROUTE, "401": AUTH_TEXTS, "503": {STORE_UNAVAILABLE}}
REGISTRATION_TEXTS = {
    REGISTRATION_FAILED,
    SERVICE_NAME_REQUIRED,
    ENDPOINT_REQUIRED,
    ENDPOINT_INCOMPLETE,
    ENDPOINT_TYPE_INVALID,
    STATUS_INVALID,
    # The status length check cannot fail natively: the value is one of three first.
    *(text for field, text in TOO_LONG_TEXTS.items() if field != "status"),
}
DOCUMENTED_ERRORS = {
    ("/", "get"): EVERY_ROUTE,
    ("/uptime", "get"): EVERY_ROUTE,
    ("/api/v1/services", "get"): API_ROUTE,
    ("/api/v1/services/{service_name}", "get"): {
        **API_ROUTE,
        "404": {SERVICE_LOOKUP_FAILED},
    },
    ("/api/v1/instances", "post"): {
        **API_ROUTE,
        "400": REGISTRATION_TEXTS,
        "403": {REGISTRATION_FAILED},
    },
    ("/api/v1/instances", "get"): {**API_ROUTE, "400": {BAD_FIELDS, BAD_CRITERIA}},
    ("/api/v1/instances/{instance_id}", "get"): {
        **API_ROUTE,
        "404": {INSTANCE_NOT_FOUND},
    },
    ("/api/v1/instances/{instance_id}", "delete"): {
        **API_ROUTE,
        "410": {DEREGISTRATION_FAILED},
    },
    ("/api/v1/instances/{instance_id}/heartbeat", "put"): {
        **API_ROUTE,
        "410": {RENEWAL_FAILED},
    },
}


def test_documented_error_texts_are_the_views_texts(schema):
    documented = {
        (path, method): {
            code: _error_texts(response)
            for code, response in operation["responses"].items()
            if _is_error(response)
        }
        for path, method, operation in _operations(schema)
        if _in_scope(path)
    }
    assert documented == DOCUMENTED_ERRORS


def test_common_texts_are_in_the_api_description(schema):
    description = schema["info"]["description"]
    for text in (NOT_FOUND, METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE):
        assert f"`{text}`" in description


# --- the server's answers are what the schema says --------------------------------


def check_documented(
    schema: dict[str, Any], path: str, method: str, response: Any
) -> None:
    """``response`` is documented for the operation: status, headers and body.

    A method the path does not serve must get the 405 every operation documents.
    """
    context = f"{method} {path} -> {response.status_code}"
    operations = schema["paths"][path]
    operation = operations.get(method.lower())
    if operation is None:
        assert response.status_code == 405, context
        operation = next(iter(operations.values()))
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{context}: status not documented"
    for header in documented.get("headers", {}):
        if header != "Content-Encoding":  # only for large bodies
            assert response.has_header(header), f"{context}: no {header}"
    content = documented.get("content")
    if content is None:
        assert response.content == b"", context
        return
    body = orjson.loads(response.content)
    body_schema = _resolve(schema, content["application/json"]["schema"])
    OAS30Validator(body_schema, format_checker=OAS30Validator.FORMAT_CHECKER).validate(
        body
    )
    if "Error" in body:
        assert body["Error"] in _error_texts(documented), context


def _json(body: Any) -> dict[str, Any]:
    return {"data": orjson.dumps(body), "content_type": "application/json"}


def _registration(**members: Any) -> dict[str, Any]:
    endpoint = {"type": "http", "value": "10.0.0.5:9080"}
    return _json({"service_name": "reviews", "endpoint": endpoint, **members})


INSTANCES = "/api/v1/instances"
ONE = "/api/v1/instances/{instance_id}"
HEARTBEAT = "/api/v1/instances/{instance_id}/heartbeat"
SERVICES = "/api/v1/services"
SERVICE = "/api/v1/services/{service_name}"


def test_every_answer_in_a_session_is_documented(schema, api, make_registry):
    def call(method: str, path: str, url: str | None = None, **kwargs: Any) -> Any:
        response = api.generic(method, url or path, **kwargs)
        check_documented(schema, path, method, response)
        return response

    created = call("POST", INSTANCES, **_registration(metadata={"v": 1}, tags=["a"]))
    assert created.status_code == 201
    instance_id = orjson.loads(created.content)["id"]
    one = f"{INSTANCES}/{instance_id}"

    bad_bodies = [
        b"",
        {"endpoint": {"type": "http", "value": "x"}},
        {"service_name": "a"},
        {"service_name": "a", "endpoint": {"type": "", "value": "x"}},
        {"service_name": "a", "endpoint": {"type": "icmp", "value": "x"}},
        {"service_name": "a", "endpoint": {"type": "tcp", "value": "x"}, "status": "?"},
        {"service_name": "a" * 65, "endpoint": {"type": "tcp", "value": "x"}},
        {"service_name": "a", "endpoint": {"type": "tcp", "value": "x" * 129}},
        {
            "service_name": "a",
            "endpoint": {"type": "tcp", "value": "x"},
            "metadata": "m" * 1100,
        },
    ]
    texts = set()
    for body in bad_bodies:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        response = call("POST", INSTANCES, data=data, content_type="application/json")
        assert response.status_code == 400
        texts.add(orjson.loads(response.content)["Error"])
    assert texts == REGISTRATION_TEXTS
    assert (
        call("POST", INSTANCES, data=b"x", content_type="text/plain").status_code == 415
    )

    listed = call("GET", SERVICES)
    assert listed.status_code == 200
    assert call("GET", SERVICES, HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304
    assert call("GET", SERVICE, f"{SERVICES}/reviews").status_code == 200
    assert call("GET", SERVICE, f"{SERVICES}/nope").status_code == 404
    for query in ("", "?fields=status&service_name=reviews", "?fields=", "?status=ALL"):
        assert call("GET", INSTANCES, INSTANCES + query).status_code == 200
    for query in ("?fields=bogus", "?ttl=5", "?_=1"):
        assert call("GET", INSTANCES, INSTANCES + query).status_code == 400
    assert call("GET", ONE, one).status_code == 200
    assert call("GET", ONE, f"{INSTANCES}/nope").status_code == 404
    assert call("PUT", HEARTBEAT, f"{one}/heartbeat").status_code == 200
    assert call("PUT", HEARTBEAT, f"{INSTANCES}/nope/heartbeat").status_code == 410
    assert call("DELETE", ONE, one).status_code == 200
    assert call("DELETE", ONE, one).status_code == 410
    assert call("PUT", ONE, one).status_code == 405
    assert call("PATCH", INSTANCES).status_code == 405
    for header in ("Bearer someone", "Basic abc"):
        response = call("GET", SERVICES, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
    assert call("GET", "/").status_code == 200
    assert call("POST", "/").status_code == 405
    assert call("GET", "/uptime").status_code == 200

    make_registry(auth_mode=("trusted",))
    assert call("GET", SERVICES).status_code == 401
    make_registry(namespace_capacity=0)
    assert call("POST", INSTANCES, **_registration()).status_code == 403
    make_registry(require_https=True)
    redirect = call("GET", SERVICES)
    assert redirect.status_code == 301
    assert redirect["Location"] == f"https://{HOST}{SERVICES}"


# --- the browser UI works offline -------------------------------------------------


def test_swagger_ui_and_its_assets_are_served_by_the_registry(api):
    assert settings.DEBUG is False
    page = api.get("/api/docs/")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(url.startswith(SIDECAR_PREFIX) for url in assets), assets
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    assert any(url.endswith("swagger-ui.css") for url in assets)
    assert '"/api/schema/"' in html
    for url in assets:
        response = api.get(url)
        try:
            assert response.status_code == 200, url
            assert b"".join(response.streaming_content), url
        finally:
            response.close()
