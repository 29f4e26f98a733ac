"""GET /api/v1/instances and /api/v1/services (spec §5.1, §5.2, §5.4)."""

from __future__ import annotations

import orjson
import pytest

from .helpers import error, instance, register

# Spec §5.4's example: A..E in service "db".
EXAMPLE = {
    "A": ("UP", ["DB", "NoSQL"]),
    "B": ("UP", ["DB"]),
    "C": ("STARTING", ["DB"]),
    "D": ("OUT_OF_SERVICE", ["DB", "NoSQL"]),
}


@pytest.fixture
def example(client, runtime) -> dict[str, str]:
    ids = {}
    for name, (status, tags) in EXAMPLE.items():
        body = instance("db", name, status=status, tags=tags)
        ids[name] = orjson.loads(register(client, body).content)["id"]
    # E has a user-defined status, which only other sources (Eureka) can set.
    catalog = runtime.catalogs.get("default")
    body = instance("db", "E", tags=["DB", "NoSQL"])
    e_id = orjson.loads(register(client, body).content)["id"]
    catalog.set_status(e_id, "user_defined")
    ids["E"] = e_id
    return ids


def listed(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/instances{query}")
    assert response.status_code == 200, response.content
    return orjson.loads(response.content)["instances"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "ABE"),
        ("?service_name=db", "ABCDE"),
        ("?service_name=db&tags=DB,NoSQL", "ADE"),
        ("?tags=DB,MySQL", ""),
        ("?status=up", "AB"),
        ("?status=ALL", "ABCDE"),
        ("?status=all", "ABCDE"),
        ("?status=STARTING&tags=DB", "C"),
        ("?status=user_defined", "E"),
        ("?status=USER_DEFINED", ""),
        ("?status=DOWN", ""),
        ("?tags=", ""),
        ("?fields=status", "ABE"),
        ("?service_name=nope", ""),
        ("?service_name=db&service_name=nope", "ABCDE"),
    ],
)
def test_selection_matches_the_spec_table(client, example, query, expected):
    names = {value: key for key, value in example.items()}
    assert sorted(names[i["id"]] for i in listed(client, query)) == list(expected)


def test_id_filter(client, example):
    assert [i["id"] for i in listed(client, f"?id={example['C']}")] == [example["C"]]


def test_full_objects_in_listings(client, clock):
    register(client, instance(ttl=45, tags=["v1"], metadata={"version": "v1"}))
    [item] = listed(client)
    assert list(item) == [
        "id",
        "service_name",
        "endpoint",
        "ttl",
        "status",
        "metadata",
        "last_heartbeat",
        "tags",
    ]
    assert item["endpoint"] == {"type": "http", "value": "10.0.0.5:9080"}
    assert item["last_heartbeat"] == "2023-11-14T22:13:20Z"


def test_empty_members_are_omitted(client):
    register(client, instance())
    [item] = listed(client)
    assert "metadata" not in item
    assert "tags" not in item
    assert "links" not in item


@pytest.mark.parametrize(
    ("fields", "members"),
    [
        ("status,ttl", ["id", "endpoint", "ttl", "status"]),
        ("", ["id", "endpoint"]),
        ("links", ["id", "endpoint"]),
        ("tags,tags,id", ["id", "endpoint", "tags"]),
        (
            "metadata,last_heartbeat,service_name",
            ["id", "service_name", "endpoint", "metadata", "last_heartbeat"],
        ),
    ],
)
def test_projection(client, fields, members):
    register(client, instance(tags=["t"], metadata={"a": 1}))
    [item] = listed(client, f"?fields={fields}&service_name=reviews")
    assert list(item) == members


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("?fields=bogus", "Undefined or malformed instance fields in filter"),
        ("?fields=status, ttl", "Undefined or malformed instance fields in filter"),
        ("?fields=bogus&BLABLA=1", "Undefined or malformed instance fields in filter"),
        ("?ttl=5", "Malformed or invalid instance selection criteria"),
        ("?BLABLA=5", "Malformed or invalid instance selection criteria"),
        ("?_=12345", "Malformed or invalid instance selection criteria"),
        ("?endpoint=x", "Malformed or invalid instance selection criteria"),
        ("?Status=UP", "Malformed or invalid instance selection criteria"),
    ],
)
def test_bad_queries_get_400(client, query, text):
    response = client.get(f"/api/v1/instances{query}")
    assert response.status_code == 400
    assert error(response) == text


def test_listing_follows_changes(client, runtime, clock):
    first = orjson.loads(register(client, instance(value="1", ttl=10)).content)["id"]
    assert [i["id"] for i in listed(client)] == [first]
    second = orjson.loads(register(client, instance(value="2", ttl=600)).content)["id"]
    assert sorted(i["id"] for i in listed(client)) == sorted([first, second])

    clock.advance(10.5)
    runtime.catalogs.expire_all()
    assert [i["id"] for i in listed(client)] == [second]
    client.put(f"/api/v1/instances/{second}/heartbeat")
    [item] = listed(client, "?service_name=reviews")
    assert item["last_heartbeat"] == "2023-11-14T22:13:30.5Z"


def test_services_lists_names_of_every_status(client, example):
    register(client, instance("other", "x", status="OUT_OF_SERVICE"))
    response = client.get("/api/v1/services")
    assert response.status_code == 200
    assert orjson.loads(response.content) == {"services": ["db", "other"]}


def test_services_of_an_empty_namespace(client):
    assert orjson.loads(client.get("/api/v1/services").content) == {"services": []}


def test_one_service_shows_every_status(client, example):
    response = client.get("/api/v1/services/db")
    body = orjson.loads(response.content)
    assert response.status_code == 200
    assert body["service_name"] == "db"
    assert sorted(i["id"] for i in body["instances"]) == sorted(example.values())
    assert all(i["service_name"] == "db" for i in body["instances"])


def test_unknown_service_is_404(client):
    response = client.get("/api/v1/services/nope")
    assert response.status_code == 404
    assert error(response) == "Failed to enumerate service names"


def test_service_names_are_percent_decoded(client):
    register(client, instance("my svc", "1"))
    response = client.get("/api/v1/services/my%20svc")
    assert response.status_code == 200
    assert orjson.loads(response.content)["service_name"] == "my svc"


def test_service_disappears_after_its_last_instance(client):
    created = orjson.loads(register(client, instance()).content)
    assert client.get("/api/v1/services/reviews").status_code == 200
    client.delete(f"/api/v1/instances/{created['id']}")
    assert client.get("/api/v1/services/reviews").status_code == 404
    assert orjson.loads(client.get("/api/v1/services").content) == {"services": []}
