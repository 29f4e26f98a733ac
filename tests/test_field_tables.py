"""The OpenAPI schema and the parsers read one field table (issue 10, defect 9).

For every field of the native registration body and of the listing query:

* the served schema says exactly what the table says (type, enum or any-case
  pattern, range, byte limit, nullable, required, description);
* the server does what the table says, case by case, generated from the table: an
  edit of the parser that ignores the table fails here;
* one edited table entry changes both the parser's answer and the schema.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.core.cache import caches

from registry.api import registration, selection
from registry.api.openapi import parameters
from registry.api.registration import (
    ENDPOINT,
    ENDPOINT_TYPE,
    ENDPOINT_VALUE,
    METADATA,
    REGISTRATION_FIELDS,
    SERVICE_NAME,
    STATUS,
    TTL,
)
from registry.api.selection import FIELDS, SELECTION_FIELDS
from registry.http.fields import FieldSpec, json_schema
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
)
from tests.support.schema import served_schema

VALID: dict[str, Any] = {
    "service_name": "svc",
    "endpoint": {"type": "tcp", "value": "10.0.0.1:80"},
}


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix("#/components/schemas/")
            return _resolve(schema, schema["components"]["schemas"][name])
        return {key: _resolve(schema, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(schema, value) for value in node]
    return node


def fresh_schema() -> dict[str, Any]:
    """The served schema, built again (the server caches it: it changes only with
    the code, which is what these tests edit)."""
    caches["default"].clear()
    return served_schema()


def registration_schema() -> dict[str, Any]:
    schema = fresh_schema()
    operation = schema["paths"]["/api/v1/instances"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    resolved: dict[str, Any] = _resolve(schema, body)
    return resolved


def query_schema() -> dict[str, Any]:
    operation = fresh_schema()["paths"]["/api/v1/instances"]["get"]
    return {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}


def register(client, body: Any):
    return client.post(
        "/api/v1/instances", orjson.dumps(body), content_type="application/json"
    )


def with_member(spec: FieldSpec, value: Any) -> dict[str, Any]:
    """A valid body with ``spec``'s member set to ``value``."""
    body: dict[str, Any] = {"service_name": "svc", "endpoint": dict(VALID["endpoint"])}
    if spec in ENDPOINT.members:
        body["endpoint"][spec.name] = value
    else:
        body[spec.name] = value
    return body


def without_member(spec: FieldSpec) -> dict[str, Any]:
    body = with_member(spec, None)
    (body["endpoint"] if spec in ENDPOINT.members else body).pop(spec.name)
    return body


# --- the schema is the table -------------------------------------------------------


def _assert_described(prop: dict[str, Any], spec: FieldSpec) -> None:
    assert prop == {**json_schema(spec), "description": spec.description}, spec.name
    # The table's own values, not only json_schema's rendering of them.
    assert prop.get("nullable", False) == spec.nullable, spec.name
    assert prop.get("x-maxBytes") == spec.max_bytes, spec.name
    assert "maxLength" not in prop  # it counts characters, the server bytes
    if spec.kind == "integer":
        assert (prop.get("minimum"), prop.get("maximum")) == (
            spec.minimum,
            spec.maximum,
        )
    if spec.kind == "string" and spec.choices is not None:
        if spec.case_insensitive:
            assert prop["x-caseInsensitiveEnum"] == list(spec.choices)
        else:
            assert prop["enum"] == list(spec.choices)
    if spec.kind == "object":
        assert set(prop.get("required", [])) == {
            member.name for member in spec.members if member.required
        }
        for member in spec.members:
            _assert_described(prop["properties"][member.name], member)


def test_registration_schema_is_the_table():
    body = registration_schema()
    assert list(body["properties"]) == [spec.name for spec in REGISTRATION_FIELDS]
    assert set(body["required"]) == {s.name for s in REGISTRATION_FIELDS if s.required}
    for spec in REGISTRATION_FIELDS:
        _assert_described(body["properties"][spec.name], spec)


def test_byte_limits_are_the_stores():
    assert SERVICE_NAME.max_bytes == MAX_SERVICE_NAME_BYTES
    assert ENDPOINT_VALUE.max_bytes == MAX_ENDPOINT_VALUE_BYTES
    assert METADATA.max_bytes == MAX_METADATA_BYTES


def test_query_schema_is_the_table():
    parameters = query_schema()
    assert set(parameters) == {spec.name for spec in SELECTION_FIELDS}
    for spec in SELECTION_FIELDS:
        assert parameters[spec.name]["schema"] == json_schema(spec)
        assert parameters[spec.name]["description"] == spec.description
    assert parameters[FIELDS.name]["schema"]["anyOf"][0]["items"]["enum"] == list(
        FIELDS.choices or ()
    )


# --- the server is the table ---------------------------------------------------------


def _string_specs() -> list[FieldSpec]:
    return [
        spec
        for spec in (*REGISTRATION_FIELDS, *ENDPOINT.members)
        if spec.kind == "string"
    ]


@pytest.mark.parametrize("spec", REGISTRATION_FIELDS + ENDPOINT.members, ids=str)
def test_required_and_nullable_as_the_table_says(client, spec):
    absent = register(client, without_member(spec)).status_code
    null = register(client, with_member(spec, None)).status_code
    assert absent == (400 if spec.required else 201), spec.name
    assert null == (201 if spec.nullable or not spec.required else 400), spec.name


@pytest.mark.parametrize("spec", REGISTRATION_FIELDS + ENDPOINT.members, ids=str)
def test_json_types_as_the_table_says(client, spec):
    wrong = {
        "string": 1,
        "integer": "1",
        "array": "x",
        "object": [],
        "any": None,  # anything goes
    }[spec.kind]
    expected = 201 if spec.kind == "any" else 400
    assert register(client, with_member(spec, wrong)).status_code == expected


@pytest.mark.parametrize(
    "spec", [s for s in _string_specs() if s.max_bytes], ids=lambda s: s.name
)
def test_byte_limits_as_the_table_says(client, spec):
    limit = spec.max_bytes
    assert limit is not None
    exact = "é" * (limit // 2) + "a" * (limit % 2)  # characters < bytes
    assert len(exact.encode()) == limit
    assert register(client, with_member(spec, exact)).status_code == 201
    over = register(client, with_member(spec, exact + "a"))
    assert over.status_code == 400
    assert str(limit) in over.json()["Error"]


def test_metadata_byte_limit_as_the_table_says(client):
    limit = METADATA.max_bytes
    assert limit is not None
    overhead = len(orjson.dumps({"k": ""}))
    exact = {"k": "x" * (limit - overhead)}
    assert len(orjson.dumps(exact)) == limit
    assert register(client, with_member(METADATA, exact)).status_code == 201
    over = {"k": "x" * (limit - overhead + 1)}
    assert register(client, with_member(METADATA, over)).status_code == 400


def test_integer_ranges_as_the_table_says(client):
    assert TTL.minimum is not None
    assert TTL.maximum is not None
    for value in (TTL.minimum, TTL.maximum):
        assert register(client, with_member(TTL, value)).status_code == 201
    for value in (TTL.minimum - 1, TTL.maximum + 1):
        assert register(client, with_member(TTL, value)).status_code == 400


def test_case_sensitive_enum_as_the_table_says(client):
    for choice in ENDPOINT_TYPE.choices or ():
        assert register(client, with_member(ENDPOINT_TYPE, choice)).status_code == 201
        assert register(client, with_member(ENDPOINT_TYPE, choice.upper())).json() == {
            "Error": registration.ENDPOINT_TYPE_INVALID
        }


STATUS_CANDIDATES = ["UP", "up", "Up", "starting", "Out_Of_Service", "", "DOWN", "upp"]


def test_status_in_any_case_as_the_schema_says(client):
    """The schema's pattern accepts exactly what the server accepts."""
    pattern = registration_schema()["properties"]["status"]["pattern"]
    for value in STATUS_CANDIDATES:
        response = register(client, with_member(STATUS, value))
        matches = re.fullmatch(pattern, value) is not None
        assert (response.status_code == 201) == matches, value
        if matches:
            [stored] = orjson.loads(client.get("/api/v1/instances?status=ALL").content)[
                "instances"
            ]
            assert stored["status"] == (value.upper() or "UP")
            assert stored["status"] in (STATUS.choices or ())


def test_query_names_as_the_table_says(client):
    for spec in SELECTION_FIELDS:
        value = "id" if spec is FIELDS else "x"
        response = client.get(f"/api/v1/instances?{spec.name}={value}")
        assert response.status_code == 200, spec.name
    assert client.get("/api/v1/instances?nope=x").status_code == 400
    for choice in FIELDS.choices or ():
        assert client.get(f"/api/v1/instances?fields={choice}").status_code == 200
    assert client.get("/api/v1/instances?fields=ID").status_code == 400


# --- one entry, both sides -----------------------------------------------------------


@contextlib.contextmanager
def edited(spec: FieldSpec, **changes: Any) -> Iterator[None]:
    """Edit a table entry in place (as a commit would), then put it back."""
    before = {name: getattr(spec, name) for name in changes}
    for name, value in changes.items():
        object.__setattr__(spec, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            object.__setattr__(spec, name, value)


def test_an_edited_entry_changes_the_parser_and_the_schema(client):
    with edited(TTL, maximum=100):
        assert register(client, with_member(TTL, 101)).status_code == 400
        assert registration_schema()["properties"]["ttl"]["maximum"] == 100
    assert register(client, with_member(TTL, 101)).status_code == 201
    with edited(ENDPOINT_TYPE, choices=("tcp", "sctp")):
        assert register(client, with_member(ENDPOINT_TYPE, "sctp")).status_code == 201
        assert register(client, with_member(ENDPOINT_TYPE, "http")).status_code == 400
        endpoint = registration_schema()["properties"]["endpoint"]
        assert endpoint["properties"]["type"]["enum"] == ["tcp", "sctp"]
    with edited(STATUS, choices=("UP", "DOWN")):
        assert register(client, with_member(STATUS, "down")).status_code == 201
        pattern = registration_schema()["properties"]["status"]["pattern"]
        assert re.fullmatch(pattern, "down")
        assert not re.fullmatch(pattern, "starting")
    with edited(FIELDS, choices=("id", "endpoint")):
        assert client.get("/api/v1/instances?fields=ttl").status_code == 400
        # Query parameters are built when the module loads (a code edit restarts
        # the server): build this one again from the edited table.
        schema: Any = parameters.selection_param(FIELDS).type
        assert schema["anyOf"][0]["items"]["enum"] == ["id", "endpoint"]
    assert "ttl" in (selection.FIELDS.choices or ())
    fresh_schema()  # the edits are gone from the cached schema too
