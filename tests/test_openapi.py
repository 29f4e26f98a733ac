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
from xml.etree import ElementTree

import orjson
import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from eureka_compat.xml_codec import render_xml
from registry.api.errors import (
    DEREGISTRATION_FAILED,
    INSTANCE_NOT_FOUND,
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    RENEWAL_FAILED,
    SERVICE_LOOKUP_FAILED,
    STORE_UNAVAILABLE,
    TOO_LONG_TEXTS,
    UNSUPPORTED_MEDIA_TYPE,
)
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
from registry.http.json_bodies import TOO_DEEP
from registry.http.openapi import BEARER_SCHEME_NAME
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
from tests.eureka.helpers import eureka_instance
from tests.support.schema import served_schema

HOST = "registry.example.com:8080"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
SIDECAR_PREFIX = "/static/drf_spectacular_sidecar/"
SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME_NAME: []}, {}]
#: The Eureka API's routes are served under each of these.
EUREKA_BASES = ("/eureka/v2/", "/eureka/", "/api/eureka/{token}/v2/")
EUREKA_PREFIXES = ("/eureka/", "/api/eureka/")


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
    return served_schema()


# --- the URLconf, independently of drf-spectacular --------------------------------


def _openapi_path(pattern: Any) -> str:
    """``^instances/(?P<instance_id>[^/]+)$`` / ``<int:pk>`` -> ``{instance_id}``.

    An optional trailing slash (Eureka's ``^apps/?$``) is documented as ``apps/``.
    """
    text = str(pattern).removeprefix("^").removesuffix("$").replace("/?", "/")
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


def _is_native(path: str) -> bool:
    return path in ("/", "/uptime") or path.startswith("/api/v1/")


def _is_eureka(path: str) -> bool:
    return path.startswith(EUREKA_PREFIXES)


def _in_scope(path: str) -> bool:
    return _is_native(path) or _is_eureka(path)


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
    assert {base + route for base in EUREKA_BASES for route, _ in EUREKA_ANSWERS} == {
        path for path in routes() if _is_eureka(path)
    }
    documented = {
        path: {method.upper() for method in item}
        for path, item in schema["paths"].items()
        if _in_scope(path)
    }
    served = {path: _allowed_methods(callback) for path, callback in routes().items()}
    assert documented == served


def test_the_methods_derived_from_the_views_are_what_the_server_serves(api):
    for path, callback in routes().items():
        # The path token must name a namespace, or every method is a 401.
        url = re.sub(r"\{\w+\}", "x", path.replace("{token}", "default"))
        live = {
            method
            for method in HTTP_METHODS
            if api.generic(method, url).status_code != 405
        }
        assert live == _allowed_methods(callback), path


def test_every_operation_documents_its_errors_and_auth(schema):
    for path, method, operation in _operations(schema):
        if _is_eureka(path):
            check_eureka_operation(path, method, operation)
            continue
        responses = operation["responses"]
        context = f"{method.upper()} {path}"
        assert {"405", "415", "500"} <= set(responses), context
        for code, response in responses.items():
            if code == "414":  # answered by the HTTP server, not the application
                assert "HTTP server" in response["description"], context
            elif int(code) >= 400 and (path, code) not in NON_ERROR_BODIES:
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


#: What every Eureka operation may answer, always with an empty body.
EUREKA_COMMON = {"301", "401", "405", "414", "500", "503"}
#: The other statuses of each Eureka operation (route below a base, method).
EUREKA_ANSWERS = {
    ("apps/", "get"): {"200", "304"},
    ("apps/delta/", "get"): {"200", "304"},
    ("apps/{app}", "get"): {"200", "304", "404"},
    ("apps/{app}", "post"): {"204", "400", "403", "415"},
    ("apps/{app}/{instance_id}", "get"): {"200", "304", "404"},
    ("apps/{app}/{instance_id}", "put"): {"200", "404"},
    ("apps/{app}/{instance_id}", "delete"): {"200", "404"},
    ("apps/{app}/{instance_id}/status", "put"): {"200", "400", "404"},
    ("apps/{app}/{instance_id}/status", "delete"): {"200", "404"},
    ("apps/{app}/{instance_id}/metadata", "put"): {"200", "400", "404"},
    ("instances/{instance_id}", "get"): {"200", "304", "404"},
    ("vips/{vip}", "get"): {"200", "304"},
    ("svips/{vip}", "get"): {"200", "304"},
}
EUREKA_DOCUMENTS = {"application/json", "application/xml"}


def _eureka_route(path: str) -> str:
    base = next(base for base in EUREKA_BASES if path.startswith(base))
    return path.removeprefix(base)


def check_eureka_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    """Eureka operations: their own statuses, empty error bodies (except the
    registration's ``text/plain`` 400), documents in JSON and XML."""
    context = f"{method.upper()} {path}"
    responses = operation["responses"]
    expected = EUREKA_COMMON | EUREKA_ANSWERS[_eureka_route(path), method]
    assert set(responses) == expected, context
    assert operation["tags"] == ["eureka"], context
    assert operation["security"] == SECURITY, context
    for code, response in responses.items():
        assert {"REQUEST_ID", "X-Request-Id"} <= set(response["headers"]), context
        if code == "200" and method == "get":
            assert set(response["content"]) == EUREKA_DOCUMENTS, context
        elif code == "400" and method == "post":
            assert set(response["content"]) == {"text/plain"}, context
        else:
            assert "content" not in response, f"{context} {code}: not empty"
    if method == "get":
        assert {"ETag"} <= set(responses["304"]["headers"]), context
        assert {"ETag"} <= set(responses["200"]["headers"]), context
    if method == "post":
        assert set(operation["requestBody"]["content"]) == EUREKA_DOCUMENTS
    assert "WWW-Authenticate" in responses["401"]["headers"], context
    assert "Allow" in responses["405"]["headers"], context
    assert "Location" in responses["301"]["headers"], context


def test_eureka_operation_ids_name_their_base(schema):
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    for path, _, operation in _operations(schema):
        if path.startswith("/api/eureka/"):
            assert operation["operationId"].startswith("eurekaToken"), path
        elif path.startswith("/eureka/v2/"):
            assert operation["operationId"].startswith("eurekaV2"), path


def test_bearer_scheme_explains_every_auth_mode(schema):
    scheme = schema["components"]["securitySchemes"][BEARER_SCHEME_NAME]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for word in ("`default`", "`trusted`", "`jwt`", "HS256", "`namespace`", "chain"):
        assert word in scheme["description"], word


def test_registration_body_matches_the_parser(schema):
    """Spot checks; tests/test_field_tables.py checks every field of the table."""
    body = _resolve(
        schema,
        schema["paths"]["/api/v1/instances"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"],
    )
    members = body["properties"]
    endpoint = members["endpoint"]["properties"]
    assert endpoint["type"]["enum"] == sorted(ENDPOINT_TYPES)
    # Any case: a pattern, and the canonical values in an extension.
    assert members["status"]["x-caseInsensitiveEnum"] == list(REGISTRATION_STATUSES)
    assert re.fullmatch(members["status"]["pattern"], "out_Of_service")
    assert not re.fullmatch(members["status"]["pattern"], "DOWN")
    assert members["status"]["nullable"]
    assert members["tags"]["nullable"]
    # Limits in bytes: no maxLength (it counts characters); x-maxBytes and the text.
    assert "maxLength" not in members["service_name"]
    assert members["service_name"]["x-maxBytes"] == MAX_SERVICE_NAME_BYTES
    assert f"{MAX_SERVICE_NAME_BYTES} bytes" in members["service_name"]["description"]
    assert "maxLength" not in endpoint["value"]
    assert endpoint["value"]["x-maxBytes"] == MAX_ENDPOINT_VALUE_BYTES
    assert f"{MAX_ENDPOINT_VALUE_BYTES} bytes" in endpoint["value"]["description"]
    assert (members["ttl"]["minimum"], members["ttl"]["maximum"]) == (
        0,
        MAX_TTL_SECONDS,
    )
    assert str(MAX_METADATA_BYTES) in members["metadata"]["description"]
    assert members["metadata"].keys() == {"description", "x-maxBytes"}  # any JSON
    assert set(body["required"]) == {"service_name", "endpoint"}


def test_listing_parameters_match_the_parser(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"]["/api/v1/instances"]["get"]["parameters"]
        if parameter["in"] == "query"
    }
    assert set(parameters) == {"fields", "service_name", "id", "status", "tags"}
    names, empty = parameters["fields"]["schema"]["anyOf"]
    assert names["items"]["enum"] == list(INSTANCE_FIELDS)
    assert empty["enum"] == [""]


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
    TOO_DEEP,
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
        if _is_native(path)
    }
    assert documented == DOCUMENTED_ERRORS


def test_common_texts_are_in_the_api_description(schema):
    description = schema["info"]["description"]
    for text in (NOT_FOUND, METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE):
        assert f"`{text}`" in description


# --- the server's answers are what the schema says --------------------------------


def _documented_response(
    schema: dict[str, Any], path: str, method: str, response: Any, context: str
) -> dict[str, Any] | None:
    """Check the status and headers of ``response`` against its operation; return
    the documented response (``None`` after checking an empty body)."""
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
    if documented.get("content") is None:
        assert response.content == b"", context
        return None
    return dict(documented)


def check_documented(
    schema: dict[str, Any], path: str, method: str, response: Any
) -> None:
    """``response`` is documented for the operation: status, headers and body.

    A method the path does not serve must get the 405 every operation documents.
    """
    context = f"{method} {path} -> {response.status_code}"
    documented = _documented_response(schema, path, method, response, context)
    if documented is None:
        return
    content = documented["content"]
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
        b"[" * 33 + b"]" * 33,
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


def _closed(node: Any) -> Any:
    """``node`` with no members beyond the documented ones (strict Eureka readers
    reject unknown members)."""
    if isinstance(node, list):
        return [_closed(value) for value in node]
    if not isinstance(node, dict):
        return node
    closed = {key: _closed(value) for key, value in node.items()}
    if "properties" in node:
        closed.setdefault("additionalProperties", False)
    return closed


def check_eureka_documented(
    schema: dict[str, Any], path: str, method: str, response: Any
) -> None:
    """``response`` is documented for the Eureka operation: status, headers, media
    type, and (JSON) body."""
    context = f"{method} {path} -> {response.status_code}"
    documented = _documented_response(schema, path, method, response, context)
    if documented is None:
        return
    content = documented["content"]
    media_type = response["Content-Type"].partition(";")[0]
    assert media_type in content, context
    if media_type == "application/json":
        body_schema = _closed(_resolve(schema, content[media_type]["schema"]))
        OAS30Validator(body_schema).validate(orjson.loads(response.content))
    elif media_type == "application/xml":
        ElementTree.fromstring(response.content)
    else:
        assert response.content, context


def test_every_eureka_answer_in_a_session_is_documented(schema, api, make_registry):
    base = "/eureka/v2/"

    def call(method: str, route: str, url: str = "", **kwargs: Any) -> int:
        path = base + route
        response = api.generic(method, base + (url or route), **kwargs)
        check_eureka_documented(schema, path, method, response)
        return response.status_code

    document = eureka_instance()
    instance_id = document["instance"]["instanceId"]
    one = f"apps/DEMO-APP/{instance_id}"
    xml = eureka_instance(host="10.0.0.2")
    assert call("POST", "apps/{app}", "apps/demo-app", **_json(document)) == 204
    assert (
        call(
            "POST",
            "apps/{app}",
            "apps/DEMO-APP",
            data=render_xml(xml),
            content_type="application/xml",
        )
        == 204
    )
    for body in (eureka_instance(hostName=""), b"{", b"<instance>"):
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        kwargs = {"data": data, "content_type": "application/json"}
        assert call("POST", "apps/{app}", "apps/DEMO-APP", **kwargs) == 400
    form = {"data": b"a=1", "content_type": "application/x-www-form-urlencoded"}
    assert call("POST", "apps/{app}", "apps/DEMO-APP", **form) == 415

    for accept in ({"HTTP_ACCEPT": "application/json"}, {}):
        for url in ("apps", "apps/"):
            assert call("GET", "apps/", url, **accept) == 200
        assert call("GET", "apps/delta/", "apps/delta", **accept) == 200
        assert call("GET", "apps/{app}", "apps/demo-app", **accept) == 200
        assert call("GET", "apps/{app}/{instance_id}", one, **accept) == 200
        by_id = f"instances/{instance_id}"
        assert call("GET", "instances/{instance_id}", by_id, **accept) == 200
        assert call("GET", "vips/{vip}", "vips/demo-app", **accept) == 200
        assert call("GET", "svips/{vip}", "svips/nothing", **accept) == 200
    etag = api.get(base + "apps/", HTTP_ACCEPT="application/json")["ETag"]
    assert (
        call("GET", "apps/", HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag)
        == 304
    )
    assert call("GET", "apps/{app}", "apps/NOPE") == 404
    assert call("GET", "apps/{app}/{instance_id}", "apps/DEMO-APP/nope") == 404
    assert call("GET", "instances/{instance_id}", "instances/nope") == 404

    status = f"{one}/status"
    assert call("PUT", "apps/{app}/{instance_id}", one) == 200
    assert call("PUT", "apps/{app}/{instance_id}", "apps/DEMO-APP/nope") == 404
    assert call("PUT", "apps/{app}/{instance_id}/status", f"{status}?value=DOWN") == 200
    assert call("PUT", "apps/{app}/{instance_id}/status", f"{status}?value=x") == 400
    assert (
        call("PUT", "apps/{app}/{instance_id}/status", "apps/A/b/status?value=UP")
        == 404
    )
    assert call("DELETE", "apps/{app}/{instance_id}/status", status) == 200
    assert call("DELETE", "apps/{app}/{instance_id}/status", "apps/A/b/status") == 404
    assert call("PUT", "apps/{app}/{instance_id}", one) == 404  # status UNKNOWN now
    metadata = f"{one}/metadata"
    assert call("PUT", "apps/{app}/{instance_id}/metadata", f"{metadata}?zone=a") == 200
    too_long = f"{metadata}?big={'x' * 1100}"
    assert call("PUT", "apps/{app}/{instance_id}/metadata", too_long) == 400
    assert call("PUT", "apps/{app}/{instance_id}/metadata", "apps/A/b/metadata") == 404
    assert call("DELETE", "apps/{app}/{instance_id}", one) == 200
    assert call("DELETE", "apps/{app}/{instance_id}", one) == 404
    assert call("PATCH", "apps/") == 405
    assert call("HEAD", "apps/{app}", "apps/DEMO-APP") == 405

    base = "/api/eureka/{token}/v2/"
    response = api.get("/api/eureka/nobody/v2/apps")
    check_eureka_documented(schema, base + "apps/", "GET", response)
    assert response.status_code == 401
    base = "/eureka/"
    assert call("GET", "apps/") == 200
    make_registry(namespace_capacity=0)
    assert call("POST", "apps/{app}", "apps/DEMO-APP", **_json(document)) == 403
    make_registry(require_https=True)
    assert call("GET", "apps/") == 301


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


def test_eureka_xml_registration_body_has_an_instance_root(schema):
    content = schema["paths"]["/eureka/v2/apps/{app}"]["post"]["requestBody"]["content"]
    xml = content["application/xml"]["schema"]
    assert xml["xml"] == {"name": "instance"}
    assert {"hostName", "app", "ipAddr", "dataCenterInfo"} <= set(xml["required"])
    port = xml["properties"]["port"]["anyOf"][0]["properties"]
    assert port["enabled"]["xml"] == {"name": "enabled", "attribute": True}
    assert "$" not in port
