"""The Eureka registration body: its OpenAPI schema and its parser read one table
(``eureka_compat/fields.py``; issue 10, defect 9).

* The served JSON and XML schemas are what the table says, member by member.
* Table-driven property: for every member of the table and a set of candidate
  values built from its kind (bounds and one past them, as numbers and as text,
  choices in other cases, other JSON types, ...), a body the served schema allows
  is registered (204) and a body it forbids is refused (400).
* One edited table entry changes both the parser's answer and the schema.
* The same for the status routes' ``value`` query parameter.

Not in JSON Schema, so not in the property: the path's application (a rule
across the path and the body) and byte limits (``x-maxBytes``, tested on their
own). Python also reads ``1_000`` and non-ASCII digits as numbers: past the
range in those spellings the server refuses what the pattern cannot see.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from openapi_schema_validator import OAS30Validator

from eureka_compat.fields import (
    APP,
    COUNTRY_ID,
    DATA_CENTER_METADATA,
    DURATION,
    FALLBACK_VALUE,
    INSTANCE,
    JAVA_INT,
    JAVA_LONG,
    LAST_DIRTY_TIMESTAMP,
    METADATA,
    OVERRIDE_VALUE,
    PORT,
)
from registry.http.fields import FieldSpec, json_schema, xml_schema
from tests.test_field_tables import edited, fresh_schema

from .helpers import BASE, eureka_instance, register

REGISTER = "/eureka/v2/apps/{app}"
INSTANCE_ID = "10.0.0.1:demo-app:8080"
STORE_ID = f"DEMO-APP:{INSTANCE_ID}"


def _request_body(media_type: str) -> dict[str, Any]:
    schema = fresh_schema()
    content = schema["paths"][REGISTER]["post"]["requestBody"]["content"]
    body: dict[str, Any] = content[media_type]["schema"]
    while "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].split("/")[-1]]
    return body


def json_instance_schema() -> dict[str, Any]:
    body = _request_body("application/json")
    assert body["required"] == ["instance"]
    instance: dict[str, Any] = body["properties"]["instance"]
    return instance


def _walk(
    table: tuple[FieldSpec, ...], path: tuple[FieldSpec, ...] = ()
) -> Iterator[tuple[FieldSpec, ...]]:
    for spec in table:
        yield (*path, spec)
        yield from _walk(spec.members, (*path, spec))


#: Every member of the instance, as the path of specs that leads to it.
MEMBERS = list(_walk(INSTANCE.members))


def _name(path: tuple[FieldSpec, ...]) -> str:
    return ".".join(spec.name for spec in path)


# --- the schema is the table -------------------------------------------------------


def test_json_schema_is_the_table():
    instance = json_instance_schema()
    assert instance == {**json_schema(INSTANCE), "description": INSTANCE.description}
    names = [n for spec in INSTANCE.members for n in (spec.name, *spec.aliases)]
    assert list(instance["properties"]) == names
    required = [spec.name for spec in INSTANCE.members if spec.required]
    assert (
        instance["required"]
        == required
        == ["hostName", "app", "ipAddr", "dataCenterInfo"]
    )


@pytest.mark.parametrize("path", MEMBERS, ids=_name)
def test_every_member_has_its_limits_in_the_schema(path):
    node = json_instance_schema()
    for spec in path:
        if "properties" not in node:  # a lenient object: the object is anyOf[0]
            node = node["anyOf"][0]
        node = node["properties"][spec.name]
    spec = path[-1]
    assert node["description"].startswith(spec.description)
    assert node.get("default") == spec.default
    assert node.get("x-maxBytes") == spec.max_bytes
    if spec.kind == "integer_text":
        number = node["anyOf"][0]
        assert number == {
            "type": "integer",
            "minimum": spec.minimum,
            "maximum": spec.maximum,
        }
    if spec.choices is not None:
        assert node["x-caseInsensitiveEnum"] == list(spec.choices)


def test_byte_limits_name_the_stores():
    from registry.store.records import MAX_METADATA_BYTES, MAX_SERVICE_NAME_BYTES

    assert APP.max_bytes == MAX_SERVICE_NAME_BYTES
    assert METADATA.max_bytes == MAX_METADATA_BYTES


def test_xml_schema_is_the_table_with_attributes_and_text():
    xml = _request_body("application/xml")
    assert xml == xml_schema(INSTANCE)
    assert xml["xml"] == {"name": INSTANCE.name}
    assert "nullable" not in json.dumps(xml)  # XML has no null
    port = xml["properties"][PORT.name]["anyOf"][0]
    number, enabled = PORT.members
    attribute = enabled.name.removeprefix("@")
    assert port["properties"] == {
        attribute: {
            **json_schema(enabled, xml=True),
            "description": enabled.description,
            "xml": {"name": attribute, "attribute": True},
        }
    }
    assert number.name not in port["properties"]
    assert port["x-xmlText"] == json_schema(number, xml=True)
    assert number.description in port["description"]


def test_the_server_reads_the_attributes_the_xml_schema_names(client, runtime):
    xml = _request_body("application/xml")["properties"]
    [attribute] = xml["securePort"]["anyOf"][0]["properties"]
    assert xml["securePort"]["anyOf"][0]["properties"][attribute]["xml"]["attribute"]
    body = (
        b"<instance><hostName>10.0.0.9</hostName><app>XML-APP</app>"
        b'<ipAddr>10.0.0.9</ipAddr><port %s="false">7001</port>'
        b'<securePort %s=" TRUE ">8443</securePort>'
        b"<dataCenterInfo><name>MyOwn</name></dataCenterInfo></instance>"
    ) % (attribute.encode(), attribute.encode())
    response = client.post(f"{BASE}/apps/XML-APP", body, content_type="application/xml")
    assert response.status_code == 204
    record = runtime.catalogs.get("default").get_instance("XML-APP:10.0.0.9")
    assert (record.endpoint.type, record.endpoint.value) == ("https", "10.0.0.9:8443")


# --- the server is the schema: a table-driven property -------------------------------

OTHER_TYPES: list[Any] = [None, True, False, [], {}, [1], {"a": 1}]


def _candidates(spec: FieldSpec) -> list[Any]:
    if spec.kind == "integer_text":
        assert spec.minimum is not None
        assert spec.maximum is not None
        low, high = spec.minimum, spec.maximum
        return [
            *(low, high, low - 1, high + 1, 0, 7, -7),
            *(str(low), f" {high} ", f"+{high + 1}", f"-000{-low + 1}", f"\t{low - 1}"),
            *("12", " 7 ", "+3", "-0", "abc", "", "1_0", "7.5", "1e3"),
            *(5.0, 5.5, 1e30, -1e30, float(low), float(high), 3e9 + 0.5),
            *OTHER_TYPES,
        ]
    if spec.kind == "string" and spec.choices is not None:
        variants = [c for choice in spec.choices for c in (choice, choice.lower())]
        return [
            *variants,
            *(f" {spec.choices[0].upper()}\t", "Moon", "", "  ", "\u017foftlayer"),
            *("NETFL\u0131X", "start\u0131ng", "\u017ftarting", 5),
            *OTHER_TYPES,
        ]
    if spec.kind == "string":
        return ["x", "  x  ", "", "   ", "na", 5, *OTHER_TYPES]
    if spec.kind == "flag":
        return ["true", " TRUE ", "false", "yes", True, False, None, 1, []]
    if spec.kind == "object":
        return [{}, {"k": "v"}, {"k": 5, "@class": "x"}, "x", 5, *OTHER_TYPES]
    return ["x", 5, 5.5, *OTHER_TYPES]  # any


def _body(path: tuple[FieldSpec, ...], value: Any) -> dict[str, Any]:
    """A valid registration with the member at ``path`` set to ``value``."""
    document = eureka_instance()
    body = document["instance"]
    if DATA_CENTER_METADATA in path:  # read to derive a missing instanceId
        del body["instanceId"]
        body["dataCenterInfo"] = {"name": "Amazon", "metadata": {}}
    node = body
    for spec in path[:-1]:
        node[spec.name] = copy.deepcopy(node.get(spec.name))
        if not isinstance(node[spec.name], dict):
            node[spec.name] = {}
        node = node[spec.name]
    node[path[-1].name] = value
    return document


def _path_app(body: dict[str, Any]) -> str:
    app = body["instance"].get("app")
    return app.strip().upper() if isinstance(app, str) and app.strip() else "DEMO-APP"


def _cases() -> Iterator[Any]:
    for path in MEMBERS:
        for value in _candidates(path[-1]):
            yield pytest.param(path, value, id=f"{_name(path)}={value!r}")


@pytest.fixture(scope="module")
def validator() -> OAS30Validator:
    """The served JSON registration body's validator."""
    return OAS30Validator(_request_body("application/json"))


@pytest.mark.parametrize(("path", "value"), list(_cases()))
def test_the_server_accepts_what_the_schema_allows(client, validator, path, value):
    document = _body(path, value)
    allowed = validator.is_valid(document)
    # The standard library writes numbers past 64 bits; orjson refuses to.
    payload = json.dumps(document).encode()
    response = register(client, payload, app=_path_app(document))
    assert response.status_code == (204 if allowed else 400), response.content


def test_every_number_and_enum_has_refused_and_accepted_candidates(validator):
    """The property above is not vacuous: each number and enum member has values
    the schema forbids (and the server refuses) and values it allows."""
    for path in MEMBERS:
        spec = path[-1]
        if spec.kind != "integer_text" and spec.choices is None:
            continue
        verdicts = {validator.is_valid(_body(path, v)) for v in _candidates(spec)}
        expected = {True} if spec.fallback is not None else {True, False}
        assert verdicts == expected, _name(path)


# --- byte limits (x-maxBytes) ----------------------------------------------------------


def test_app_byte_limit_as_the_table_says(client, runtime):
    limit = APP.max_bytes
    assert limit is not None
    exact = "A" * limit
    document = eureka_instance(app=exact)
    assert register(client, document, app=exact).status_code == 204
    over = eureka_instance(app=exact + "A")
    response = register(client, over, app=exact + "A")
    assert response.status_code == 400
    assert str(limit) in response.content.decode()


def test_metadata_byte_limit_as_the_table_says(client, runtime):
    limit = METADATA.max_bytes
    assert limit is not None
    overhead = len(orjson.dumps({"k": ""}))
    exact = {"k": "x" * (limit - overhead)}
    assert register(client, eureka_instance(metadata=exact)).status_code == 204
    over = {"k": "x" * (limit - overhead + 1)}
    response = register(client, eureka_instance(metadata=over))
    assert response.status_code == 400
    assert str(limit) in response.content.decode()


# --- one entry, both sides -------------------------------------------------------------


def test_an_edited_range_changes_the_parser_and_the_schema(client, runtime):
    with edited(COUNTRY_ID, maximum=100):
        response = register(client, eureka_instance(countryId="101"))
        assert response.content == b"countryId out of range"
        number, _, text, *_ = json_instance_schema()["properties"]["countryId"]["anyOf"]
        assert number["maximum"] == 100
        validator = OAS30Validator(text)
        assert validator.is_valid(" 100 ")
        assert not validator.is_valid(" 101 ")
    assert register(client, eureka_instance(countryId="101")).status_code == 204


def test_an_edited_default_changes_the_parser_and_the_schema(client, runtime):
    with edited(DURATION, default=45):
        assert register(client, eureka_instance(leaseInfo={})).status_code == 204
        assert runtime.catalogs.get("default").get_instance(STORE_ID).ttl == 45
        lease = json_instance_schema()["properties"]["leaseInfo"]["anyOf"][0]
        assert lease["properties"]["durationInSecs"]["default"] == 45
    fresh_schema()  # the edit is gone from the cached schema too


def test_java_types_are_the_ranges():
    assert (LAST_DIRTY_TIMESTAMP.minimum, LAST_DIRTY_TIMESTAMP.maximum) == JAVA_LONG
    assert JAVA_LONG == (-(2**63), 2**63 - 1)
    for spec in (COUNTRY_ID, DURATION, *PORT.members[:1]):
        assert (spec.minimum, spec.maximum) == JAVA_INT == (-(2**31), 2**31 - 1)


# --- the status routes' `value` ------------------------------------------------------

STATUS_VALUES = ["UP", "down", " Starting\t", "out_of_service", "Unknown", "", " ", "x"]
STATUS_ROUTE = f"{REGISTER}/{{instance_id}}/status"


def _value_schema(method: str) -> dict[str, Any]:
    operation = fresh_schema()["paths"][STATUS_ROUTE][method]
    [value] = [p for p in operation["parameters"] if p["name"] == "value"]
    schema: dict[str, Any] = value["schema"]
    return schema


@pytest.mark.parametrize("value", STATUS_VALUES)
def test_override_value_as_the_schema_says(client, runtime, value):
    register(client, eureka_instance())
    schema = _value_schema("put")
    assert schema == {"type": "string", **json_schema(OVERRIDE_VALUE)}
    allowed = OAS30Validator(schema).is_valid(value)
    url = f"{BASE}/apps/DEMO-APP/{INSTANCE_ID}/status?value={quote(value)}"
    assert client.put(url).status_code == (200 if allowed else 400)
    status = runtime.catalogs.get("default").get_instance(STORE_ID).status
    expected = value.strip().upper() if allowed else "UP"
    assert status == expected
    assert status in schema["x-caseInsensitiveEnum"]


@pytest.mark.parametrize("value", [*STATUS_VALUES, None])
def test_fallback_value_as_the_schema_says(client, runtime, value):
    register(client, eureka_instance())
    schema = _value_schema("delete")
    assert schema == {"type": "string", **json_schema(FALLBACK_VALUE)}
    query = "" if value is None else f"?value={quote(value)}"
    url = f"{BASE}/apps/DEMO-APP/{INSTANCE_ID}/status{query}"
    assert client.delete(url).status_code == 200  # any value: the schema limits none
    status = runtime.catalogs.get("default").get_instance(STORE_ID).status
    named = (value or "").strip().upper()
    choices = schema["x-caseInsensitiveEnum"]
    assert status == (named if named in choices else schema["default"])
