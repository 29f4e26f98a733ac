"""Renew, cancel, reads, overrides and metadata (eureka-api.md §3-§6)."""

from __future__ import annotations

import gzip

import orjson
import pytest

from .helpers import BASE, JSON, eureka_instance, get_json, instances_of, register

INSTANCE_ID = "10.0.0.1:demo-app:8080"
PATH = f"{BASE}/apps/DEMO-APP/{INSTANCE_ID}"

INSTANCE_KEYS = [
    "instanceId",
    "hostName",
    "app",
    "ipAddr",
    "status",
    "overriddenstatus",
    "port",
    "securePort",
    "countryId",
    "dataCenterInfo",
    "leaseInfo",
    "metadata",
    "vipAddress",
    "secureVipAddress",
    "isCoordinatingDiscoveryServer",
    "lastUpdatedTimestamp",
    "lastDirtyTimestamp",
    "actionType",
]


@pytest.fixture
def registered(client):
    assert register(client, eureka_instance()).status_code == 204


def test_full_registry_has_exactly_eurekas_fields(client, registered, clock):
    document = get_json(client, f"{BASE}/apps/")
    apps = document["applications"]
    assert list(apps) == ["versions__delta", "apps__hashcode", "application"]
    assert (apps["versions__delta"], apps["apps__hashcode"]) == ("1", "UP_1_")
    [application] = apps["application"]
    assert list(application) == ["name", "instance"]
    [instance] = application["instance"]
    assert list(instance) == INSTANCE_KEYS
    ms = clock.now_ns() // 1_000_000
    assert instance["leaseInfo"] == {
        "renewalIntervalInSecs": 30,
        "durationInSecs": 90,
        "registrationTimestamp": ms,
        "lastRenewalTimestamp": ms,
        "evictionTimestamp": 0,
        "serviceUpTimestamp": ms,
    }
    assert instance["lastDirtyTimestamp"] == "1700000000000"
    assert instance["actionType"] == "ADDED"


def test_empty_registry(client):
    document = get_json(client, f"{BASE}/apps")
    assert document == {
        "applications": {
            "versions__delta": "1",
            "apps__hashcode": "",
            "application": [],
        }
    }


def test_xml_unless_accept_mentions_json(client, registered):
    for accept in (None, "*/*", "text/html", "application/xml"):
        headers = {} if accept is None else {"Accept": accept}
        response = client.get(f"{BASE}/apps", headers=headers)
        assert response["Content-Type"] == "application/xml"
        assert response.content.startswith(
            b"<applications><versions__delta>1</versions__delta>"
        )
        assert b'<port enabled="true">8080</port>' in response.content
        assert (
            b'<dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo">'
            in response.content
        )
    assert (
        client.get(f"{BASE}/apps", headers={"Accept": "application/vnd+json"})[
            "Content-Type"
        ]
        == "application/json"
    )


def test_full_registry_is_gzipped_and_cached(client, registered):
    response = client.get(f"{BASE}/apps", headers={**JSON, "Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert (
        orjson.loads(gzip.decompress(response.content))["applications"][
            "apps__hashcode"
        ]
        == "UP_1_"
    )
    again = client.get(
        f"{BASE}/apps", headers={**JSON, "If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize("accept", ["application/json", "application/xml"])
def test_the_full_registry_is_kept_compressed_and_sent_either_way(client, accept):
    for port in range(20):
        assert register(client, eureka_instance(port_number=8000 + port)).status_code
    plain = client.get(f"{BASE}/apps", headers={"Accept": accept})
    zipped = client.get(
        f"{BASE}/apps", headers={"Accept": accept, "Accept-Encoding": "gzip"}
    )
    # One cache entry, kept as gzip only: inflated for a client without gzip.
    assert zipped.cached is plain.cached
    assert plain.cached.compressed
    assert not plain.has_header("Content-Encoding")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert plain["Content-Length"] == str(len(plain.content))
    assert zipped["Content-Length"] == str(len(zipped.content))
    assert plain["ETag"] == zipped["ETag"]
    assert "Accept-Encoding" in zipped["Vary"]
    assert plain.content.count(b"DEMO-APP") >= 20
    refused = client.get(
        f"{BASE}/apps", headers={"Accept": accept, "Accept-Encoding": "gzip;q=0"}
    )
    assert refused.content == plain.content
    assert not refused.has_header("Content-Encoding")
    # The other documents stay plain: they are small, or read per application.
    one = client.get(f"{BASE}/apps/DEMO-APP", headers={"Accept": accept})
    assert not one.cached.compressed


def test_heartbeats_do_not_rerender_the_full_registry(client, registered, runtime):
    first = client.get(f"{BASE}/apps", headers=JSON)
    client.put(PATH)
    assert client.get(f"{BASE}/apps", headers=JSON)["ETag"] == first["ETag"]


def test_renew(client, registered, runtime, clock):
    clock.advance(60)
    response = client.put(
        f"{BASE}/apps/demo-app/10.0.0.1%3Ademo-app%3A8080?status=UP&lastDirtyTimestamp=1700000000000"
    )
    assert response.status_code == 200
    assert response.content == b""
    record = runtime.catalogs.get("default").get_instance(f"DEMO-APP:{INSTANCE_ID}")
    assert record.last_renewal_ns == clock.now_ns()


@pytest.mark.parametrize(
    "path",
    [
        f"{BASE}/apps/DEMO-APP/nope",
        f"{BASE}/apps/OTHER/{INSTANCE_ID}",
        f"{PATH}?lastDirtyTimestamp=1700000000001",
    ],
)
def test_renew_404_makes_clients_reregister(client, registered, path):
    response = client.put(path)
    assert response.status_code == 404
    assert response.content == b""


def test_cancel(client, registered, runtime):
    response = client.delete(PATH)
    assert response.status_code == 200
    assert runtime.catalogs.get("default").list_instances() == []
    again = client.delete(PATH)
    assert again.status_code == 404
    assert again.content == b""
    assert client.put(PATH).status_code == 404


def test_one_application(client, registered):
    for name in ("DEMO-APP", "demo-app", "Demo-App"):
        document = get_json(client, f"{BASE}/apps/{name}")
        assert document["application"]["name"] == "DEMO-APP"
        assert [i["instanceId"] for i in document["application"]["instance"]] == [
            INSTANCE_ID
        ]
    missing = client.get(f"{BASE}/apps/NOPE", headers=JSON)
    assert missing.status_code == 404
    assert missing.content == b""


def test_one_instance(client, registered):
    assert get_json(client, PATH)["instance"]["instanceId"] == INSTANCE_ID
    assert (
        get_json(client, f"{BASE}/instances/{INSTANCE_ID}")["instance"]["app"]
        == "DEMO-APP"
    )
    assert client.get(f"{BASE}/instances/nope").status_code == 404
    xml = client.get(f"{BASE}/instances/{INSTANCE_ID}")
    assert xml.content.startswith(
        b"<instance><instanceId>10.0.0.1:demo-app:8080</instanceId>"
    )


def test_vips(client, registered):
    register(
        client,
        eureka_instance("OTHER", vipAddress="a,demo-app", secureVipAddress="s"),
        app="OTHER",
    )
    document = get_json(client, f"{BASE}/vips/demo-app")
    assert document["applications"]["versions__delta"] == "-1"
    assert sorted(instances_of(document)) == [
        "10.0.0.1:demo-app:8080",
        "10.0.0.1:other:8080",
    ]
    assert list(instances_of(get_json(client, f"{BASE}/svips/s"))) == [
        "10.0.0.1:other:8080"
    ]
    empty = get_json(client, f"{BASE}/vips/DEMO-APP")  # case-sensitive
    assert empty["applications"]["application"] == []


def test_native_instances_seen_through_eureka(client):
    client.post(
        "/api/v1/instances",
        orjson.dumps(
            {
                "service_name": "reviews",
                "endpoint": {"type": "http", "value": "10.0.0.5:9080"},
                "metadata": {"version": "v1", "n": 2},
            }
        ),
        content_type="application/json",
    )
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["instanceId"] == "26634d9e31ce714e"
    assert (instance["app"], instance["hostName"], instance["ipAddr"]) == (
        "REVIEWS",
        "10.0.0.5",
        "10.0.0.5",
    )
    assert instance["port"] == {"$": 9080, "@enabled": "true"}
    assert instance["vipAddress"] == "reviews"
    assert instance["metadata"] == {"version": "v1", "n": "2"}
    assert list(instances_of(get_json(client, f"{BASE}/vips/reviews"))) == [
        "26634d9e31ce714e"
    ]
    # Readable, but written through the native API only (decisions.md).
    assert client.get(f"{BASE}/apps/reviews/26634d9e31ce714e").status_code == 200
    assert client.put(f"{BASE}/apps/reviews/26634d9e31ce714e").status_code == 404


@pytest.mark.parametrize("value", ["http://[x/", "http://[::1", "https://[v6:8080/x"])
def test_a_native_endpoint_no_url_parser_reads_breaks_no_document(client, value):
    """One such registration used to make the whole full registry a 500."""
    for name, endpoint in (("odd", value), ("good", "http://10.0.0.9:8080")):
        body = {"service_name": name, "endpoint": {"type": "http", "value": endpoint}}
        response = client.post(
            "/api/v1/instances", orjson.dumps(body), content_type="application/json"
        )
        assert response.status_code == 201
    for accept in ("application/json", "application/xml"):
        assert client.get(f"{BASE}/apps", headers={"Accept": accept}).status_code == 200
    listed = instances_of(get_json(client, f"{BASE}/apps")).values()
    instances = {i["app"]: i for i in listed}
    assert (instances["ODD"]["hostName"], instances["ODD"]["port"]) == (
        value,
        {"$": 80, "@enabled": "false"},
    )
    assert instances["GOOD"]["hostName"] == "10.0.0.9"


def test_heartbeats_through_either_api_keep_it_alive(client, runtime, clock):
    register(client, eureka_instance(leaseInfo={"durationInSecs": 10}))
    store_id = f"DEMO-APP:{INSTANCE_ID}"
    for _ in range(3):
        clock.advance(8)
        assert client.put(f"/api/v1/instances/{store_id}/heartbeat").status_code == 200
        clock.advance(8)
        assert client.put(PATH).status_code == 200
        runtime.catalogs.expire_all()
    clock.advance(10.5)
    runtime.catalogs.expire_all()
    assert client.put(PATH).status_code == 404


def test_status_override_and_its_removal(client, registered, runtime):
    response = client.put(
        f"{PATH}/status?value=OUT_OF_SERVICE&lastDirtyTimestamp=1700000000000"
    )
    assert response.status_code == 200
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert (instance["status"], instance["overriddenstatus"]) == (
        "OUT_OF_SERVICE",
        "OUT_OF_SERVICE",
    )

    # The override survives the client's re-registration with UP.
    register(client, eureka_instance())
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["status"] == "OUT_OF_SERVICE"

    assert client.delete(f"{PATH}/status").status_code == 200
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert (instance["status"], instance["overriddenstatus"]) == ("UNKNOWN", "UNKNOWN")
    assert client.put(PATH).status_code == 404  # re-register required
    register(client, eureka_instance())
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["status"] == "UP"


def test_override_removal_with_a_fallback_value(client, registered):
    client.put(f"{PATH}/status?value=OUT_OF_SERVICE")
    assert client.delete(f"{PATH}/status?value=DOWN").status_code == 200
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["status"] == "DOWN"


@pytest.mark.parametrize("query", ["", "?value=", "?value=SLEEPY"])
def test_status_requires_a_valid_value(client, registered, query):
    assert client.put(f"{PATH}/status{query}").status_code == 400


def test_status_of_unknown_instance_is_404(client):
    assert client.put(f"{BASE}/apps/X/y/status?value=UP").status_code == 404
    assert client.delete(f"{BASE}/apps/X/y/status").status_code == 404


def test_own_down_status_wins_over_an_override(client, registered):
    client.put(f"{PATH}/status?value=OUT_OF_SERVICE")
    register(client, eureka_instance(status="DOWN"))
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["status"] == "DOWN"


def test_metadata_update_merges(client, registered):
    assert client.put(f"{PATH}/metadata?zone=b&management.port=9000").status_code == 200
    [instance] = instances_of(get_json(client, f"{BASE}/apps")).values()
    assert instance["metadata"] == {"management.port": "9000", "zone": "b"}
    assert client.put(f"{BASE}/apps/X/y/metadata?a=b").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", f"{BASE}/apps"),
        ("post", f"{BASE}/apps/delta"),
        ("post", PATH),
        ("get", f"{PATH}/status"),
    ],
)
def test_wrong_methods_are_405_with_empty_bodies(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response.content == b""


def test_unknown_eureka_paths_are_404_with_empty_bodies(client):
    for path in (f"{BASE}/nope", "/eureka/v2/apps/a/b/c/d", "/api/eureka/x/v3/apps"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.content == b""


def test_trusted_namespaces_on_eureka(make_runtime, client):
    runtime = make_runtime(auth_mode=("trusted",))
    assert (
        register(client, eureka_instance(), base="/api/eureka/tenant-a/v2").status_code
        == 204
    )
    assert (
        register(
            client, eureka_instance(), base=BASE, Authorization="Bearer tenant-b"
        ).status_code
        == 204
    )
    assert len(runtime.catalogs.get("tenant-a").list_instances()) == 1
    assert len(runtime.catalogs.get("tenant-b").list_instances()) == 1
    assert instances_of(get_json(client, "/api/eureka/tenant-c/v2/apps")) == {}
    # The header wins over the path token.
    document = get_json(
        client, "/api/eureka/tenant-c/v2/apps", Authorization="Bearer tenant-a"
    )
    assert list(instances_of(document)) == [INSTANCE_ID]
    anonymous = client.get(f"{BASE}/apps", headers=JSON)
    assert anonymous.status_code == 401
    assert anonymous.content == b""
    assert (
        client.put(f"/api/eureka/tenant-c/v2/apps/DEMO-APP/{INSTANCE_ID}").status_code
        == 404
    )


def test_mismatched_app_reason_names_both(client):
    response = register(client, eureka_instance(app="OTHER"), app="DEMO-APP")
    assert response.content == b"Mismatched appName, expecting DEMO-APP but was OTHER"


def test_instance_by_id_matches_whole_ids_only(client, registered):
    assert client.get(f"{BASE}/instances/demo-app:8080").status_code == 404
    assert client.get(f"{BASE}/instances/{INSTANCE_ID}").status_code == 200


def test_metadata_update_of_tags_not_of_native_metadata(client, registered, runtime):
    client.put(f"{PATH}/metadata?amalgam8.tags=a;b")
    assert runtime.catalogs.get("default").get_instance(
        f"DEMO-APP:{INSTANCE_ID}"
    ).tags == ("a", "b")
    client.post(
        "/api/v1/instances",
        orjson.dumps(
            {
                "service_name": "n",
                "endpoint": {"type": "tcp", "value": "h:1"},
                "metadata": {"n": 1},
            }
        ),
        content_type="application/json",
    )
    native_id = orjson.loads(client.get("/api/v1/instances?service_name=n").content)[
        "instances"
    ][0]["id"]
    # A native instance's metadata is changed through the native API only.
    assert client.put(f"{BASE}/apps/N/{native_id}/metadata?zone=z").status_code == 404
    record = runtime.catalogs.get("default").get_instance(native_id)
    assert orjson.loads(record.metadata) == {"n": 1}


def test_documents_vary_on_accept(client, registered):
    response = client.get(f"{BASE}/apps", headers=JSON)
    assert response["Vary"] == "Accept, Accept-Encoding"
    assert register(client, eureka_instance())["Content-Type"] == "application/json"


def test_unhandled_errors_are_empty_500s(client, runtime, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(runtime.catalogs, "get", broken)
    client.raise_request_exception = False
    response = client.get(f"{BASE}/apps", headers=JSON)
    assert (response.status_code, response.content) == (500, b"")


@pytest.mark.parametrize(
    "value", ["99999999999999999999999", "-9223372036854775809", "9223372036854775808"]
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("put", "/status?value=OUT_OF_SERVICE&"), ("delete", "/status?"), ("put", "?")],
)
def test_a_last_dirty_timestamp_past_a_long_is_400(
    client, registered, runtime, method, suffix, value
):
    before = runtime.catalogs.get("default").list_instances()
    response = getattr(client, method)(f"{PATH}{suffix}lastDirtyTimestamp={value}")
    assert (response.status_code, response.content) == (400, b"")
    assert runtime.catalogs.get("default").list_instances() == before
