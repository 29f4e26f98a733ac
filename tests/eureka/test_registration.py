"""POST apps/{app} (eureka-api.md §4.1) and the mapping onto the store (spec §6.3)."""

from __future__ import annotations

import dataclasses
import json

import orjson
import pytest

from eureka_compat.instances import instance_tree

from .helpers import BASE, eureka_instance, get_json, instances_of, register

INSTANCE_ID = "10.0.0.1:demo-app:8080"
STORE_ID = f"DEMO-APP:{INSTANCE_ID}"


@pytest.mark.parametrize(
    "base", ["/eureka/v2", "/eureka", "/api/eureka//v2", "/api/eureka/default/v2"]
)
def test_register_answers_204_on_every_base(client, runtime, base):
    response = register(client, eureka_instance(), base=base)
    assert response.status_code == 204
    assert response.content == b""
    assert runtime.catalogs.get("default").get_instance(STORE_ID)


def test_registration_maps_onto_a_native_instance(client, runtime):
    body = eureka_instance(
        leaseInfo={"durationInSecs": 45},
        metadata={"management.port": "8080", "amalgam8.tags": "v1; canary ,x"},
    )
    register(client, body, app="demo-app")
    record = runtime.catalogs.get("default").get_instance(STORE_ID)
    assert record.service_name == "DEMO-APP"
    assert (record.endpoint.type, record.endpoint.value) == ("tcp", "10.0.0.1:8080")
    assert record.ttl == 45
    assert record.status == "UP"
    assert orjson.loads(record.metadata) == {
        "management.port": "8080",
        "amalgam8.tags": "v1; canary ,x",
    }
    assert record.tags == ("v1", "canary", "x")

    native = orjson.loads(client.get("/api/v1/services/DEMO-APP").content)
    assert [i["id"] for i in native["instances"]] == [STORE_ID]


@pytest.mark.parametrize(
    ("duration", "ttl"), [(None, 90), (0, 90), (1, 10), (3600, 600), ("45", 45)]
)
def test_lease_duration_is_clamped(client, runtime, duration, ttl):
    lease = {} if duration is None else {"durationInSecs": duration}
    register(client, eureka_instance(leaseInfo=lease))
    assert runtime.catalogs.get("default").get_instance(STORE_ID).ttl == ttl


def test_secure_port_makes_an_https_endpoint(client, runtime):
    register(client, eureka_instance(securePort={"$": "8443", "@enabled": True}))
    record = runtime.catalogs.get("default").get_instance(STORE_ID)
    assert (record.endpoint.type, record.endpoint.value) == ("https", "10.0.0.1:8443")


@pytest.mark.parametrize("enabled", [True, "true", "TRUE"])
def test_enabled_flag_as_boolean_or_string(client, enabled):
    register(client, eureka_instance(port={"$": 9090, "@enabled": enabled}))
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["port"] == {"$": 9090, "@enabled": "true"}


def test_minimal_registration_like_eureka_js_client(client, runtime):
    body = {
        "instance": {
            "app": "js-app",
            "hostName": "h1",
            "ipAddr": "127.0.0.1",
            "port": {"$": 8080, "@enabled": True},
            "vipAddress": "js-app",
            "dataCenterInfo": {
                "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                "name": "MyOwn",
            },
            "status": "UP",
        }
    }
    assert register(client, body, app="js-app").status_code == 204
    record = runtime.catalogs.get("default").get_instance("JS-APP:h1")
    assert record.metadata is None
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["instanceId"] == "h1"
    assert instance["metadata"] == {"@class": "java.util.Collections$EmptyMap"}
    assert instance["securePort"] == {"$": 443, "@enabled": "false"}


def test_instance_id_falls_back_to_amazon_id_then_host(client, runtime):
    amazon = eureka_instance(
        dataCenterInfo={
            "@class": "com.netflix.appinfo.AmazonInfo",
            "name": "Amazon",
            "metadata": {"instance-id": "i-123"},
        }
    )
    del amazon["instance"]["instanceId"]
    register(client, amazon)
    plain = eureka_instance(host="10.0.0.2")
    del plain["instance"]["instanceId"]
    register(client, plain)
    catalog = runtime.catalogs.get("default")
    assert catalog.get_instance("DEMO-APP:i-123")
    assert catalog.get_instance("DEMO-APP:10.0.0.2")


@pytest.mark.parametrize("name", ["MyOwn", "Netflix", "Amazon", "SoftLayer", "myown"])
def test_every_eureka_data_center_name_is_accepted(client, runtime, name):
    document = eureka_instance(dataCenterInfo={"@class": "x", "name": name})
    assert register(client, document).status_code == 204


@pytest.mark.parametrize(
    ("metadata", "stored_id"),
    [
        ({"getId": "sl-7"}, "DEMO-APP:sl-7"),
        ({"getId": 12345}, "DEMO-APP:12345"),
        ({"getId": 12345.0}, "DEMO-APP:12345"),
        ({"getId": ""}, "DEMO-APP:10.0.0.3"),
        ({}, "DEMO-APP:10.0.0.3"),
    ],
)
def test_softlayer_get_id_is_the_instance_id(client, runtime, metadata, stored_id):
    document = eureka_instance(
        host="10.0.0.3", dataCenterInfo={"name": "SoftLayer", "metadata": metadata}
    )
    del document["instance"]["instanceId"]
    assert register(client, document).status_code == 204
    assert runtime.catalogs.get("default").get_instance(stored_id)


@pytest.mark.parametrize("depth", [33, 254, 255, 300, 1023, 1024, 10_000])
@pytest.mark.parametrize("member", ["metadata", "leaseInfo"])
def test_deep_json_is_400_naming_the_limit_at_every_depth(
    client, runtime, depth, member
):
    body = orjson.dumps(eureka_instance()).replace(
        f'"{member}":'.encode(),
        f'"{member}":{{"deep":{"[" * depth}{"]" * depth}}},"x{member}":'.encode(),
    )
    response = register(client, body)
    assert (response.status_code, response.content) == (
        400,
        b"JSON nested deeper than 32 levels",
    )
    assert runtime.catalogs.get("default").list_instances() == []


def test_numbers_past_64_bits_in_xml_are_400(client, runtime):
    body = (
        b"<instance><instanceId>x1</instanceId><hostName>h</hostName><app>XML-APP</app>"
        b"<ipAddr>10.0.0.9</ipAddr><countryId>99999999999999999999999</countryId>"
        b"<dataCenterInfo><name>MyOwn</name></dataCenterInfo></instance>"
    )
    response = client.post(f"{BASE}/apps/XML-APP", body, content_type="application/xml")
    assert (response.status_code, response.content) == (400, b"countryId out of range")
    assert runtime.catalogs.get("default").list_instances() == []


def test_xml_registration_like_fargo(client, runtime):
    body = (
        b"<instance><instanceId>x1</instanceId><hostName>10.0.0.9</hostName><app>XML-APP</app>"
        b'<ipAddr>10.0.0.9</ipAddr><status>UP</status><port enabled="true">7001</port>'
        b'<securePort enabled="false">7002</securePort><countryId>1</countryId>'
        b'<dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>'
        b"<leaseInfo><durationInSecs>30</durationInSecs></leaseInfo>"
        b"<metadata><zone>a</zone></metadata><vipAddress>xml-app</vipAddress></instance>"
    )
    response = client.post(f"{BASE}/apps/XML-APP", body, content_type="application/xml")
    assert response.status_code == 204
    record = runtime.catalogs.get("default").get_instance("XML-APP:x1")
    assert (record.endpoint.value, record.ttl) == ("10.0.0.9:7001", 30)
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["port"] == {"$": 7001, "@enabled": "true"}
    assert instance["metadata"] == {"zone": "a"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"instanceId": None, "hostName": None}, "Missing instanceId"),
        ({"hostName": ""}, "Missing hostName"),
        ({"ipAddr": None}, "Missing ipAddr"),
        ({"app": None}, "Missing app"),
        ({"app": "OTHER"}, "Mismatched appName"),
        ({"dataCenterInfo": None}, "Missing dataCenterInfo"),
        ({"dataCenterInfo": {"@class": "x"}}, "Missing dataCenterInfo Name"),
        ({"dataCenterInfo": {"name": "Moon"}}, "Unknown dataCenterInfo name"),
        ({"metadata": "zone=a"}, "metadata is not an object"),
        ({"metadata": ["a"]}, "metadata is not an object"),
        ({"countryId": "99999999999999999999999"}, "countryId out of range"),
        ({"countryId": 99999999999999999999999}, "countryId out of range"),
        ({"countryId": "2147483648"}, "countryId out of range"),
        (
            {"lastDirtyTimestamp": "-9223372036854775809"},
            "lastDirtyTimestamp out of range",
        ),
        (
            {"lastDirtyTimestamp": "99999999999999999999999"},
            "lastDirtyTimestamp out of range",
        ),
        # Read as a float, this one rounds to -2**63, a Java long: still refused.
        (
            {"lastDirtyTimestamp": -9223372036854775809},
            "lastDirtyTimestamp out of range",
        ),
        (
            {"port": {"$": "99999999999999999999999", "@enabled": "true"}},
            "port.$ out of range",
        ),
        (
            {"securePort": {"$": -9223372036854775809, "@enabled": "true"}},
            "securePort.$ out of range",
        ),
        (
            {"leaseInfo": {"renewalIntervalInSecs": "99999999999999999999999"}},
            "leaseInfo.renewalIntervalInSecs out of range",
        ),
        (
            {"leaseInfo": {"durationInSecs": "-9223372036854775809"}},
            "leaseInfo.durationInSecs out of range",
        ),
    ],
)
def test_invalid_registrations_are_400_with_a_text_reason(
    client, runtime, change, reason
):
    document = eureka_instance()
    for key, value in change.items():
        if value is None:
            document["instance"].pop(key)
        else:
            document["instance"][key] = value
    # The standard library writes integers past 64 bits; orjson refuses to.
    response = register(client, json.dumps(document).encode())
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith(reason)
    assert runtime.catalogs.get("default").list_instances() == []


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b"<instance><unclosed></instance>", b'{"instance": 5}']
)
def test_unparseable_registrations_are_400(client, body):
    content_type = "application/xml" if body.startswith(b"<") else "application/json"
    response = client.post(f"{BASE}/apps/DEMO-APP", body, content_type=content_type)
    assert response.status_code == 400


def test_other_content_types_are_415_with_an_empty_body(client):
    response = client.post(
        f"{BASE}/apps/DEMO-APP",
        b"x=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert response.content == b""


def test_reregistration_is_an_upsert(client, runtime):
    register(client, eureka_instance(metadata={"v": "1"}))
    register(
        client, eureka_instance(metadata={"v": "2"}, lastDirtyTimestamp="1700000000001")
    )
    [record] = runtime.catalogs.get("default").list_instances()
    assert orjson.loads(record.metadata) == {"v": "2"}


def test_an_older_registration_does_not_replace_a_newer_one(client, runtime):
    register(
        client,
        eureka_instance(metadata={"v": "new"}, lastDirtyTimestamp="1700000000500"),
    )
    register(
        client,
        eureka_instance(metadata={"v": "old"}, lastDirtyTimestamp="1700000000100"),
    )
    [record] = runtime.catalogs.get("default").list_instances()
    assert orjson.loads(record.metadata) == {"v": "new"}


def test_limits_apply_to_eureka_registrations(client, runtime):
    response = register(client, eureka_instance(metadata={"k": "v" * 1100}))
    assert response.status_code == 400
    assert runtime.catalogs.get("default").list_instances() == []


def test_capacity_is_403_with_an_empty_body(make_runtime, client):
    make_runtime(namespace_capacity=1)
    assert register(client, eureka_instance()).status_code == 204
    response = register(client, eureka_instance(host="10.0.0.2"))
    assert response.status_code == 403
    assert response.content == b""
    assert register(client, eureka_instance()).status_code == 204  # same id: fine


DEFAULTED = (
    "app",
    "ipAddr",
    "overriddenstatus",
    "securePort",
    "countryId",
    "dataCenterInfo",
    "renewalIntervalInSecs",
    "lastUpdatedTimestamp",
)


def stored_extension_of(runtime) -> dict:
    record = runtime.catalogs.get("default").get_instance(STORE_ID)
    return orjson.loads(record.extension)


def rendered(client) -> dict:
    return get_json(client, f"{BASE}/apps/DEMO-APP/{INSTANCE_ID}")["instance"]


def test_members_that_hold_their_default_are_not_kept_but_are_shown(client, runtime):
    assert register(client, eureka_instance()).status_code == 204
    kept = stored_extension_of(runtime)
    assert not set(DEFAULTED) & set(kept)
    shown = rendered(client)
    assert (shown["app"], shown["ipAddr"]) == ("DEMO-APP", "10.0.0.1")
    assert shown["overriddenstatus"] == "UNKNOWN"
    assert shown["securePort"] == {"$": 443, "@enabled": "false"}
    assert shown["countryId"] == 1
    assert shown["dataCenterInfo"] == {
        "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
        "name": "MyOwn",
    }
    assert shown["leaseInfo"]["renewalIntervalInSecs"] == 30
    assert shown["lastUpdatedTimestamp"] == str(
        shown["leaseInfo"]["serviceUpTimestamp"]
    )


def test_members_that_differ_from_their_default_are_kept(client, runtime, clock):
    amazon = {
        "@class": "com.netflix.appinfo.AmazonInfo",
        "name": "Amazon",
        "metadata": {"instance-id": "i-1", "availability-zone": "us-east-1a"},
    }
    body = eureka_instance(
        ipAddr="10.9.9.9",
        securePort={"$": 8443, "@enabled": "true"},
        countryId=44,
        dataCenterInfo=amazon,
        leaseInfo={"renewalIntervalInSecs": 10, "durationInSecs": 90},
        overriddenstatus="OUT_OF_SERVICE",
    )
    assert register(client, body).status_code == 204
    kept = stored_extension_of(runtime)
    assert {"ipAddr", "securePort", "countryId", "dataCenterInfo"} <= set(kept)
    assert {"renewalIntervalInSecs", "overriddenstatus"} <= set(kept)
    shown = rendered(client)
    assert shown["ipAddr"] == "10.9.9.9"
    assert shown["securePort"] == {"$": 8443, "@enabled": "true"}
    assert shown["countryId"] == 44
    assert shown["dataCenterInfo"] == amazon
    assert shown["leaseInfo"]["renewalIntervalInSecs"] == 10
    assert shown["overriddenstatus"] == "OUT_OF_SERVICE"
    # An override change keeps a new lastUpdatedTimestamp: it differs now.
    clock.advance(1)
    assert client.delete(f"{BASE}/apps/DEMO-APP/{INSTANCE_ID}/status").status_code
    assert "lastUpdatedTimestamp" in stored_extension_of(runtime)


def test_an_extension_kept_in_full_reads_as_the_compact_one(client, runtime):
    """Instances stored before members were left out (Redis, a peer) read the same."""
    assert register(client, eureka_instance()).status_code == 204
    catalog = runtime.catalogs.get("default")
    record = catalog.get_instance(STORE_ID)
    compact = orjson.loads(record.extension)
    full = {
        "instanceId": compact["instanceId"],
        "hostName": "10.0.0.1",
        "app": "DEMO-APP",
        "ipAddr": "10.0.0.1",
        "overriddenstatus": "UNKNOWN",
        "port": compact["port"],
        "securePort": {"$": 443, "@enabled": "false"},
        "countryId": 1,
        "dataCenterInfo": {
            "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
            "name": "MyOwn",
        },
        "renewalIntervalInSecs": 30,
        "serviceUpTimestamp": compact["serviceUpTimestamp"],
        "lastUpdatedTimestamp": compact["serviceUpTimestamp"],
        **{k: v for k, v in compact.items() if k not in ("instanceId", "port")},
    }
    assert set(full) - set(compact) == set(DEFAULTED)
    old = dataclasses.replace(record, extension=orjson.dumps(full))
    assert instance_tree(old) == instance_tree(record)
