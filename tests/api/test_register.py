"""POST /api/v1/instances (spec §5.3 with decisions.md)."""

from __future__ import annotations

import orjson
import pytest

from registry.runtime import RegistryRuntime

from .helpers import error, instance, register


def test_register_answers_201_with_id_ttl_links_and_location(client, runtime):
    response = register(
        client,
        instance(ttl=45, status="up", tags=["v1"], metadata={"version": "v1"}),
        Host="registry.example.com:8080",
    )

    assert response.status_code == 201
    self_link = "http://registry.example.com:8080/api/v1/instances/26634d9e31ce714e"
    assert orjson.loads(response.content) == {
        "id": "26634d9e31ce714e",
        "ttl": 45,
        "links": {"self": self_link, "heartbeat": self_link + "/heartbeat"},
    }
    assert response["Location"] == self_link
    assert response["Content-Type"] == "application/json; charset=utf-8"
    stored = runtime.catalogs.get("default").get_instance("26634d9e31ce714e")
    assert (stored.status, stored.tags, stored.metadata) == (
        "UP",
        ("v1",),
        b'{"version":"v1"}',
    )


def test_links_use_https_behind_a_tls_proxy(client):
    response = register(client, instance(), Host="r.example", X_Forwarded_Proto="https")
    assert orjson.loads(response.content)["links"]["self"].startswith(
        "https://r.example/api/v1/instances/"
    )


@pytest.mark.parametrize(
    ("requested", "effective"),
    [(None, 30), (0, 30), (1, 10), (10, 10), (45, 45), (600, 600), (601, 600)],
)
def test_ttl_is_clamped(client, requested, effective):
    body = instance() if requested is None else instance(ttl=requested)
    response = register(client, body)
    assert orjson.loads(response.content)["ttl"] == effective


def test_reregistration_is_an_upsert(client, runtime: RegistryRuntime):
    first = orjson.loads(register(client, instance(ttl=20)).content)
    second = orjson.loads(register(client, instance(ttl=40, tags=["b"])).content)

    assert first["id"] == second["id"]
    records = runtime.catalogs.get("default").list_instances()
    assert [(r.ttl, r.tags) for r in records] == [(40, ("b",))]


@pytest.mark.parametrize("status", ["UP", "starting", "Out_Of_Service"])
def test_statuses_are_accepted_case_insensitively(client, runtime, status):
    register(client, instance(status=status))
    record = runtime.catalogs.get("default").list_instances()[0]
    assert record.status == status.upper()


def test_explicit_null_metadata_is_kept(client, runtime):
    register(client, instance(metadata=None))
    record = runtime.catalogs.get("default").list_instances()[0]
    assert record.metadata == b"null"


def test_member_names_match_case_insensitively(client, runtime):
    body = {"Service_Name": "x", "ENDPOINT": {"Type": "tcp", "VALUE": "h:1"}}
    assert register(client, body).status_code == 201
    assert runtime.catalogs.get("default").list_services() == ["x"]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"", "Failed to register instance"),
        (b"{", "Failed to register instance"),
        (b"[]", "Failed to register instance"),
        (b'"x"', "Failed to register instance"),
        (instance(ttl="30"), "Failed to register instance"),
        (instance(ttl=-1), "Failed to register instance"),
        (instance(ttl=30.5), "Failed to register instance"),
        (instance(ttl=True), "Failed to register instance"),
        (instance(ttl=2**32), "Failed to register instance"),
        (instance(tags="a"), "Failed to register instance"),
        (instance(tags=["a", 1]), "Failed to register instance"),
        (instance(status=1), "Failed to register instance"),
        (
            {"service_name": 5, "endpoint": {"type": "tcp", "value": "x"}},
            "Failed to register instance",
        ),
        ({"service_name": "x", "endpoint": "tcp://x"}, "Failed to register instance"),
        (b"null", "Service name is required"),
        ({"endpoint": {"type": "tcp", "value": "x"}}, "Service name is required"),
        (
            {"service_name": "", "endpoint": {"type": "tcp", "value": "x"}},
            "Service name is required",
        ),
        ({"service_name": "x"}, "Instance endpoint is required"),
        ({"service_name": "x", "endpoint": None}, "Instance endpoint is required"),
        ({"service_name": "x", "endpoint": {}}, "Endpoint type or value are missing"),
        (
            {"service_name": "x", "endpoint": {"type": "tcp"}},
            "Endpoint type or value are missing",
        ),
        (
            {"service_name": "x", "endpoint": {"value": "v"}},
            "Endpoint type or value are missing",
        ),
        (
            {"service_name": "x", "endpoint": {"type": "tcp", "value": "  "}},
            "Endpoint type or value are missing",
        ),
        (
            {"service_name": "x", "endpoint": {"type": "icmp", "value": "v"}},
            "Endpoint type is invalid",
        ),
        (
            {"service_name": "x", "endpoint": {"type": "HTTP", "value": "v"}},
            "Endpoint type is invalid",
        ),
        (instance(status="DOWN"), "Valid statuses are: UP, STARTING, OUT_OF_SERVICE"),
        (instance("s" * 65), "Service name exceeded 64 bytes"),
        (
            instance(value="v" * 129),
            "Failed to register the instance because endpoint value exceeded 128 bytes",
        ),
        (instance(metadata="m" * 1023), "Metadata exceeded 1024 bytes"),
    ],
)
def test_bad_registrations_get_400_and_change_nothing(client, runtime, body, text):
    register(client, instance("existing", "keep:1"))
    revision = runtime.catalogs.get("default").revision

    response = register(client, body)

    assert response.status_code == 400
    assert error(response) == text
    catalog = runtime.catalogs.get("default")
    assert catalog.revision == revision
    assert [r.service_name for r in catalog.list_instances()] == ["existing"]


def test_checks_run_in_the_spec_order(client):
    # Missing service name is reported before the bad endpoint type and status.
    body = {"endpoint": {"type": "icmp", "value": "v"}, "status": "nope"}
    assert error(register(client, body)) == "Service name is required"
    body = {
        "service_name": "x",
        "endpoint": {"type": "icmp", "value": "v"},
        "status": "no",
    }
    assert error(register(client, body)) == "Endpoint type is invalid"


def test_capacity_answers_403_for_new_ids_only(make_runtime, client):
    runtime = make_runtime(namespace_capacity=1)
    assert register(client, instance("a", "1")).status_code == 201

    response = register(client, instance("a", "2"))

    assert response.status_code == 403
    assert error(response) == "Failed to register instance"
    assert register(client, instance("a", "1", ttl=50)).status_code == 201
    assert len(runtime.catalogs.get("default").list_instances()) == 1


def test_metadata_is_measured_compacted(client, runtime):
    # 1024 bytes once compacted although the body spells it with spaces.
    metadata = "m" * 1022
    body = (
        b'{"service_name":"x","endpoint":{"type":"tcp","value":"v"},"metadata":  "%s"  }'
        % metadata.encode()
    )
    assert register(client, body).status_code == 201


@pytest.mark.parametrize(
    "metadata",
    [
        b"123456789012345678901234567890",
        b"-0",
        b'{"big":18446744073709551617,"f":0.1000000000000000055511151231257827,"n":[1,-2.5E+3]}',
    ],
)
def test_metadata_numbers_are_kept_exactly(client, runtime, metadata):
    body = (
        b'{"service_name":"x","endpoint":{"type":"tcp","value":"v"},"metadata":%s}'
        % metadata
    )
    assert register(client, body).status_code == 201
    assert runtime.catalogs.get("default").list_instances()[0].metadata == metadata
    listed = client.get("/api/v1/instances").content
    assert b'"metadata":' + metadata + b"," in listed


@pytest.mark.parametrize(
    "body",
    [
        b'{"endpoint":{"type":5,"value":"x"}}',
        b'{"endpoint":{"type":"tcp","value":["x"]}}',
        b'{"service_name":"\\ud800","endpoint":{"type":"tcp","value":"x"}}',
        b'{"service_name":"x","endpoint":{"type":"tcp","value":"x"},"metadata":NaN}',
        b'{"service_name":"x","endpoint":{"type":"tcp","value":"x"},"metadata":1e400}',
        b'{"service_name":"x","endpoint":{"type":"tcp","value":"x"}} trailing',
        b"\xff\xfe",
    ],
)
def test_type_and_encoding_errors_come_first(client, body):
    response = register(client, body)
    assert response.status_code == 400
    assert error(response) == "Failed to register instance"


@pytest.mark.parametrize("depth", [33, 254, 255, 300, 1023, 1024, 10_000])
@pytest.mark.parametrize("where", ["metadata", "tags"])
def test_deep_json_is_400_naming_the_limit_at_every_depth(
    client, runtime, depth, where
):
    deep = "[" * depth + "]" * depth
    body = (
        b'{"service_name":"s","endpoint":{"type":"http","value":"1.2.3.4:80"},'
        + f'"{where}":{deep}}}'.encode()
    )
    response = register(client, body)
    assert response.status_code == 400
    assert error(response) == "JSON nested deeper than 32 levels"
    assert runtime.catalogs.get("default").list_instances() == []


def test_metadata_at_the_depth_limit_is_kept(client, runtime):
    nested = "[" * 30 + "1" + "]" * 30  # body, metadata object, 30 arrays: 32
    body = (
        b'{"service_name":"s","endpoint":{"type":"http","value":"1.2.3.4:80"},'
        + f'"metadata":{{"a":{nested}}}}}'.encode()
    )
    assert register(client, body).status_code == 201
    [record] = runtime.catalogs.get("default").list_instances()
    assert record.metadata == f'{{"a":{nested}}}'.encode()
