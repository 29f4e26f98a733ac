"""Reads: ``/api/v1/services``, ``/api/v1/services/{name}``, ``/api/v1/instances``
(spec §5.1, §5.2, §5.4) and ``GET /api/v1/instances/{id}`` (decision Q22)."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.support import (
    assert_error,
    bearer,
    client_session,
    compact,
    instance_body,
    list_instances,
    parse_rfc3339,
    register,
    unique,
)

pytestmark = pytest.mark.e2e

BAD_FIELDS = "Undefined or malformed instance fields in filter"
BAD_CRITERIA = "Malformed or invalid instance selection criteria"
ALL_FIELDS = [
    "id",
    "service_name",
    "endpoint",
    "ttl",
    "status",
    "metadata",
    "last_heartbeat",
    "tags",
]


# --- the spec §5.4 example table ----------------------------------------------------
#
# E (status ``user_defined``) cannot be created over the native API: registration
# accepts only UP, STARTING and OUT_OF_SERVICE (spec §4.3), and this server has no
# other write path yet. The table runs on A-D; rows that list E list A-D's share.

TABLE = {
    "A": ("UP", ["DB", "NoSQL"]),
    "B": ("UP", ["DB"]),
    "C": ("STARTING", ["DB"]),
    "D": ("OUT_OF_SERVICE", ["DB", "NoSQL"]),
}


@pytest.fixture(scope="module")
def table(trusted_server):
    """A-D of service ``db`` alone in a fresh namespace: (auth headers, name -> id)."""
    auth = bearer(unique("table-ns"))
    ids = {}
    with client_session() as http:
        for index, (name, (status, tags)) in enumerate(TABLE.items()):
            body = instance_body(
                "db", f"10.0.0.{index + 1}:5432", "tcp", status=status, tags=tags
            )
            ids[name] = register(http, trusted_server, body, auth)["id"]
    return auth, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "AB"),
        ("?service_name=db", "ABCD"),
        ("?service_name=db&tags=DB,NoSQL", "AD"),
        ("?tags=DB,MySQL", ""),
        ("?tags=NoSQL", "AD"),
        ("?tags=nosql", ""),  # case-sensitive
        ("?tags=", ""),  # the empty-string tag
        ("?status=up", "AB"),
        ("?status=Up", "AB"),
        ("?status=ALL", "ABCD"),
        ("?status=all", "ABCD"),
        ("?status=STARTING&tags=DB", "C"),
        ("?status=starting", "C"),
        ("?status=out_of_service", "D"),
        ("?status=user_defined", ""),
        ("?status=DOWN", ""),
        ("?status=", ""),  # matches the empty status only
        ("?id=", ""),
        ("?service_name=", ""),
        ("?service_name=DB", ""),  # case-sensitive
        ("?service_name=db&status=UP", "AB"),
        ("?service_name=db&service_name=other", "ABCD"),  # first value wins
        ("?fields=status", "AB"),  # fields alone keeps the default status filter
    ],
)
def test_selection_table(trusted_server, http, table, query, expected):
    auth, ids = table
    instances = list_instances(http, trusted_server, query, auth)
    assert sorted(i["id"] for i in instances) == sorted(ids[n] for n in expected)


def test_selection_by_id(trusted_server, http, table):
    auth, ids = table
    for name in "ABCD":  # an id filter returns every status
        [found] = list_instances(http, trusted_server, f"?id={ids[name]}", auth)
        assert found["id"] == ids[name]
        assert found["status"] == TABLE[name][0]
    assert list_instances(http, trusted_server, "?id=0000000000000000", auth) == []
    assert list_instances(http, trusted_server, f"?id={ids['C']}&status=UP", auth) == []


@pytest.mark.parametrize(
    "query",
    [
        "?ttl=5",
        "?BLABLA=5",
        "?_=1488362400",
        "?endpoint=x",
        "?metadata=x",
        "?last_heartbeat=x",
        "?links=x",
        "?Service_Name=db",
        "?service_name=db&extra=1",
    ],
)
def test_unknown_or_unfilterable_parameters_are_400(trusted_server, http, table, query):
    auth, _ = table
    response = http.get(trusted_server.url(f"/api/v1/instances{query}"), headers=auth)
    assert_error(response, 400, BAD_CRITERIA)


def test_full_instance_objects(trusted_server, http, table):
    auth, ids = table
    [a] = list_instances(http, trusted_server, f"?id={ids['A']}", auth)
    assert list(a) == [
        "id",
        "service_name",
        "endpoint",
        "ttl",
        "status",
        "last_heartbeat",
        "tags",
    ]
    assert a["service_name"] == "db"
    assert a["endpoint"] == {"type": "tcp", "value": "10.0.0.1:5432"}
    assert a["ttl"] == 30
    assert a["tags"] == ["DB", "NoSQL"]
    assert "links" not in a
    parse_rfc3339(a["last_heartbeat"])


# --- projection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "members"),
    [
        ("status,ttl", ["id", "endpoint", "ttl", "status"]),
        ("", ["id", "endpoint"]),
        ("links", ["id", "endpoint"]),
        ("id", ["id", "endpoint"]),
        ("endpoint", ["id", "endpoint"]),
        ("status,status", ["id", "endpoint", "status"]),
        ("tags,service_name", ["id", "service_name", "endpoint", "tags"]),
        ("last_heartbeat", ["id", "endpoint", "last_heartbeat"]),
        (",".join([*ALL_FIELDS, "links"]), ALL_FIELDS),
    ],
)
def test_fields_projection(default_server, http, fields, members):
    name = unique()
    register(
        http,
        default_server,
        instance_body(name, ttl=33, tags=["t"], metadata={"m": 1}),
    )
    [instance] = list_instances(
        http, default_server, f"?fields={fields}&service_name={name}"
    )
    assert list(instance) == members
    assert instance["endpoint"] == {"type": "http", "value": "10.0.0.1:8080"}


@pytest.mark.parametrize(
    "fields", ["bogus", "status,bogus", "Status", "status,", "status, ttl", "*"]
)
def test_bad_fields_are_400(default_server, http, fields):
    response = http.get(default_server.url(f"/api/v1/instances?fields={fields}"))
    assert_error(response, 400, BAD_FIELDS)


def test_fields_are_validated_before_the_selection(default_server, http):
    response = http.get(default_server.url("/api/v1/instances?fields=bogus&BLABLA=5"))
    assert_error(response, 400, BAD_FIELDS)


def test_fields_example_from_the_spec(default_server, http):
    name = unique()
    result = register(http, default_server, instance_body(name, "10.0.0.5:9080"))
    response = http.get(
        default_server.url(f"/api/v1/instances?service_name={name}&fields=status")
    )
    assert response.status_code == 200
    assert response.content == compact(
        {
            "instances": [
                {
                    "id": result["id"],
                    "endpoint": {"type": "http", "value": "10.0.0.5:9080"},
                    "status": "UP",
                }
            ]
        }
    )


# --- /api/v1/services ---------------------------------------------------------------


def test_services_of_an_empty_namespace(trusted_server, http, namespace):
    response = http.get(
        trusted_server.url("/api/v1/services"), headers=bearer(namespace)
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == b'{"services":[]}'


def test_services_lists_each_name_once_whatever_the_status(
    trusted_server, http, namespace
):
    auth = bearer(namespace)
    register(http, trusted_server, instance_body("reviews", "h:1"), auth)
    register(http, trusted_server, instance_body("reviews", "h:2"), auth)
    register(
        http, trusted_server, instance_body("ratings", status="OUT_OF_SERVICE"), auth
    )
    register(http, trusted_server, instance_body("details", status="STARTING"), auth)

    response = http.get(trusted_server.url("/api/v1/services"), headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["services"]
    assert sorted(body["services"]) == ["details", "ratings", "reviews"]


def test_services_in_default_namespace(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name))
    services = http.get(default_server.url("/api/v1/services")).json()["services"]
    assert services.count(name) == 1


# --- /api/v1/services/{name} --------------------------------------------------------


def test_service_instances_all_statuses(default_server, http):
    name = unique()
    ids = {
        status: register(
            http,
            default_server,
            instance_body(
                name, f"h:{n}", status=status, metadata={"n": n}, tags=[status]
            ),
        )["id"]
        for n, status in enumerate(["UP", "STARTING", "OUT_OF_SERVICE"])
    }
    response = http.get(default_server.url(f"/api/v1/services/{name}"))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["service_name", "instances"]
    assert body["service_name"] == name
    by_id = {i["id"]: i for i in body["instances"]}
    assert set(by_id) == set(ids.values())
    for n, (status, instance_id) in enumerate(ids.items()):
        instance = by_id[instance_id]
        assert list(instance) == ALL_FIELDS
        assert instance["service_name"] == name
        assert instance["status"] == status
        assert instance["endpoint"] == {"type": "http", "value": f"h:{n}"}
        assert instance["metadata"] == {"n": n}
        assert instance["tags"] == [status]
        assert instance["ttl"] == 30


def test_unknown_service_is_404(default_server, http):
    response = http.get(default_server.url(f"/api/v1/services/{unique()}"))
    assert_error(response, 404, "Failed to enumerate service names")


def test_service_path_is_percent_decoded(default_server, http):
    """Decision Q17: ``/api/v1/services/a%20b`` is the service ``a b``."""
    name = unique("with space") + " ü"
    register(http, default_server, instance_body(name))
    path = "/api/v1/services/" + urllib.parse.quote(name, safe="")
    assert "%20" in path
    response = http.get(default_server.url(path))
    assert response.status_code == 200, response.text
    assert response.json()["service_name"] == name


def test_service_name_with_a_slash_is_not_addressable_by_path(default_server, http):
    # docs/compatibility.md (Q26): like the original, a "/" in a name cannot be
    # looked up by path; the service is still listed and filterable by query.
    name = unique("slash") + "/x"
    register(http, default_server, instance_body(name))
    path = "/api/v1/services/" + urllib.parse.quote(name, safe="")
    response = http.get(default_server.url(path))
    assert response.status_code == 404
    assert response.json() == {"Error": "Resource not found"}
    query = "/api/v1/instances?service_name=" + urllib.parse.quote(name, safe="")
    assert [
        i["service_name"]
        for i in http.get(default_server.url(query)).json()["instances"]
    ] == [name]


# --- GET /api/v1/instances/{id} -----------------------------------------------------


def test_get_one_instance(default_server, http):
    name = unique()
    before = datetime.now(UTC) - timedelta(seconds=1)
    result = register(
        http,
        default_server,
        instance_body(name, ttl=44, tags=["x"], metadata={"k": "v"}, status="starting"),
    )
    response = http.get(default_server.url(f"/api/v1/instances/{result['id']}"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == ["instance"]
    instance = body["instance"]
    assert list(instance) == ALL_FIELDS
    heartbeat = parse_rfc3339(instance.pop("last_heartbeat"))
    assert before <= heartbeat <= datetime.now(UTC) + timedelta(seconds=1)
    assert instance == {
        "id": result["id"],
        "service_name": name,
        "endpoint": {"type": "http", "value": "10.0.0.1:8080"},
        "ttl": 44,
        "status": "STARTING",
        "metadata": {"k": "v"},
        "tags": ["x"],
    }
    # The same object as in the listing.
    [listed] = list_instances(http, default_server, f"?id={result['id']}")
    assert listed == {**instance, "last_heartbeat": listed["last_heartbeat"]}


def test_get_unknown_instance_is_404(default_server, http):
    response = http.get(default_server.url("/api/v1/instances/0123456789abcdef"))
    assert_error(response, 404, "Instance not found")


def test_markup_characters_round_trip_as_themselves(default_server, http):
    # docs/compatibility.md: not HTML-escaped like Go's encoder; same JSON value.
    name = unique("a<b>&c")
    register(http, default_server, instance_body(name, metadata={"h": "<i>&"}))
    path = "/api/v1/services/" + urllib.parse.quote(name, safe="")
    response = http.get(default_server.url(path))
    assert response.status_code == 200
    assert response.json()["service_name"] == name
    assert response.json()["instances"][0]["metadata"] == {"h": "<i>&"}
