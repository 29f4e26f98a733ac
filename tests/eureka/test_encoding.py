"""The collection encoder: same documents as encoding whole trees, element reuse."""

from __future__ import annotations

import dataclasses

import orjson

from eureka_compat.encoding import DocumentEncoder
from eureka_compat.formats import JSON, XML
from eureka_compat.instances import app_name, instance_tree
from eureka_compat.xml_codec import parse_xml, render_xml
from registry.store.records import Endpoint, ServiceInstance


def record(service: str, n: int, status: str = "UP") -> ServiceInstance:
    return ServiceInstance(
        id=f"{service}-{n}",
        service_name=service,
        endpoint=Endpoint("http", f"10.0.0.{n}:80"),
        status=status,
        ttl=30,
        metadata=b'{"k":"<&>"}',
        tags=(),
        registration_ns=1_700_000_000 * 10**9,
        last_renewal_ns=1_700_000_001 * 10**9,
    )


def expected_tree(entries, version, hashcode):
    grouped: dict[str, list] = {}
    for instance, action in entries:
        grouped.setdefault(app_name(instance), []).append(
            instance_tree(instance, action)
        )
    return {
        "applications": {
            "versions__delta": version,
            "apps__hashcode": hashcode,
            "application": [{"name": n, "instance": i} for n, i in grouped.items()],
        }
    }


ENTRIES = [
    (record("a", 1), "ADDED"),
    (record("b", 2), "DELETED"),
    (record("a", 3), "MODIFIED"),
]


def test_json_equals_the_whole_tree_encoded():
    body = DocumentEncoder().applications("ns", JSON, ENTRIES, "7", "UP_3_")
    assert orjson.loads(body) == expected_tree(ENTRIES, "7", "UP_3_")


def test_xml_equals_the_whole_tree_rendered():
    body = DocumentEncoder().applications("ns", XML, ENTRIES, "7", "UP_3_")
    assert body == render_xml(expected_tree(ENTRIES, "7", "UP_3_"))
    assert parse_xml(body)["applications"]["apps__hashcode"] == "UP_3_"


def test_empty_documents():
    encoder = DocumentEncoder()
    assert orjson.loads(encoder.applications("ns", JSON, [], "1", "")) == {
        "applications": {
            "versions__delta": "1",
            "apps__hashcode": "",
            "application": [],
        }
    }
    assert encoder.applications("ns", XML, [], "1", "") == (
        b"<applications><versions__delta>1</versions__delta>"
        b"<apps__hashcode></apps__hashcode></applications>"
    )


def test_unchanged_records_reuse_their_encoding_per_format_and_action():
    encoder = DocumentEncoder()
    [first] = encoder._encode("ns", JSON, [ENTRIES[0]])
    assert encoder._encode("ns", JSON, [ENTRIES[0]])[0] is first
    assert encoder._encode("ns", XML, [ENTRIES[0]])[0].startswith(b"<instance>")
    [deleted] = encoder._encode("ns", JSON, [(ENTRIES[0][0], "DELETED")])
    assert orjson.loads(deleted)["actionType"] == "DELETED"
    changed = dataclasses.replace(ENTRIES[0][0], status="DOWN")
    assert (
        orjson.loads(encoder._encode("ns", JSON, [(changed, "ADDED")])[0])["status"]
        == "DOWN"
    )


def test_one_application():
    encoder = DocumentEncoder()
    body = encoder.application("ns", JSON, "A", [record("a", 1)])
    assert orjson.loads(body) == {
        "application": {"name": "A", "instance": [instance_tree(record("a", 1))]}
    }
    xml = encoder.application("ns", XML, "A", [record("a", 1)])
    assert xml == render_xml(
        {"application": {"name": "A", "instance": [instance_tree(record("a", 1))]}}
    )
