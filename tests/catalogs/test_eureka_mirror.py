"""The Eureka mirror against a fixture server replaying real-Eureka documents.

The documents are what Eureka 1.x/2.x servers (Netflix's own, and Spring Cloud
Netflix's, which embeds Eureka 1.10) send for ``GET apps`` and ``GET apps/delta``
with ``Accept: application/json``, field for field and in the same order and
types. Sources:

* the serializer that writes them, Netflix/eureka
  ``eureka-client/src/main/java/com/netflix/discovery/converters/EurekaJacksonCodec.java``
  (commit 033196e4a9f310b4a267f2ce45957cb1b1848598): ``versions__delta`` written
  as a string, then ``apps__hashcode`` (``<STATUS>_<count>_`` sorted), ports as
  ``{"$": <int>, "@enabled": "<bool as text>"}``, an empty metadata map as
  ``{"@class": "java.util.Collections$EmptyMap"}``;
* responses captured from running Spring Cloud Eureka servers and published:
  ``GET /eureka/apps`` of a server on port 8761 (XML of the same instance tree) at
  https://putridparrot.com/blog/interacting-with-eureka-via-its-rest-operations/,
  and JSON captures of ``GET /eureka/apps/<APP>`` that public projects keep in
  code comments (the two PNC-CONFIG-CLIENT instances on 192.168.5.7 and the
  server on 10.10.10.212 below are theirs, the server's app renamed from
  XHG-EUREKA-SERVER): ``"overriddenStatus":"UNKNOWN"``, ``leaseInfo`` timestamps
  as numbers, ``lastUpdatedTimestamp`` and ``lastDirtyTimestamp`` as strings,
  ``"isCoordinatingDiscoveryServer":"false"``, ``"actionType":"ADDED"`` on every
  instance of a full fetch.

:data:`RECORDED_APPS` and :data:`RECORDED_EMPTY_DELTA` are such documents kept as
text; the delta that disagrees with its hashcode is built from them, and the
helpers below build others of the same shape.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from catalogs.eureka_mirror import EurekaFetchError, EurekaMirror
from registry.store.clock import SystemClock
from tests.catalogs.fakes import FixtureEureka, wait_for
from tests.e2e.support import free_port

ORDERS_ID = "ORDERS:orders-1:orders:8080"


def instance(host: str, status: str = "UP", action: str = "ADDED") -> dict[str, Any]:
    return {
        "instanceId": f"{host}:orders:8080",
        "hostName": host,
        "app": "ORDERS",
        "ipAddr": "10.3.0.1",
        "status": status,
        "overriddenStatus": "UNKNOWN",
        "port": {"$": 8080, "@enabled": "true"},
        "securePort": {"$": 443, "@enabled": "false"},
        "countryId": 1,
        "dataCenterInfo": {
            "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
            "name": "MyOwn",
        },
        "leaseInfo": {
            "renewalIntervalInSecs": 30,
            "durationInSecs": 90,
            "registrationTimestamp": 1700000000000,
            "lastRenewalTimestamp": 1700000030000,
            "evictionTimestamp": 0,
            "serviceUpTimestamp": 1700000000000,
        },
        "metadata": {"management.port": "8080", "amalgam8.tags": "v1; canary"},
        "homePageUrl": f"http://{host}:8080/",
        "statusPageUrl": f"http://{host}:8080/actuator/info",
        "healthCheckUrl": f"http://{host}:8080/actuator/health",
        "vipAddress": "orders",
        "secureVipAddress": "orders",
        "isCoordinatingDiscoveryServer": "false",
        "lastUpdatedTimestamp": "1700000000000",
        "lastDirtyTimestamp": "1700000000000",
        "actionType": action,
    }


def applications(version: str, hashcode: str, *instances: dict[str, Any]) -> str:
    return json.dumps(
        {
            "applications": {
                "versions__delta": version,
                "apps__hashcode": hashcode,
                "application": [{"name": "ORDERS", "instance": list(instances)}],
            }
        }
    )


@pytest.fixture
def eureka() -> Iterator[FixtureEureka]:
    server = FixtureEureka().start()
    server.documents["/apps"] = applications("1", "UP_1_", instance("orders-1"))
    yield server
    server.stop()


#: ``GET /eureka/apps``: two applications, one instance with an empty metadata
#: map, the Eureka server registered with itself (as Spring Cloud's is by default).
RECORDED_APPS = """\
{"applications":{"versions__delta":"1","apps__hashcode":"UP_3_","application":[\
{"name":"PNC-CONFIG-CLIENT","instance":[\
{"instanceId":"192.168.5.7:pnc-config-client:8098","hostName":"192.168.5.7",\
"app":"PNC-CONFIG-CLIENT","ipAddr":"192.168.5.7","status":"UP",\
"overriddenStatus":"UNKNOWN","port":{"$":8098,"@enabled":"true"},\
"securePort":{"$":443,"@enabled":"false"},"countryId":1,"dataCenterInfo":\
{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"},\
"leaseInfo":{"renewalIntervalInSecs":30,"durationInSecs":90,\
"registrationTimestamp":1616008644028,"lastRenewalTimestamp":1616010774604,\
"evictionTimestamp":0,"serviceUpTimestamp":1616008644028},\
"metadata":{"management.port":"8098"},"homePageUrl":"http://192.168.5.7:8098/",\
"statusPageUrl":"http://192.168.5.7:8098/actuator/info",\
"healthCheckUrl":"http://192.168.5.7:8098/actuator/health",\
"vipAddress":"pnc-config-client","secureVipAddress":"pnc-config-client",\
"isCoordinatingDiscoveryServer":"false","lastUpdatedTimestamp":"1616008644028",\
"lastDirtyTimestamp":"1616008643649","actionType":"ADDED"},\
{"instanceId":"192.168.5.7:pnc-config-client:8097","hostName":"192.168.5.7",\
"app":"PNC-CONFIG-CLIENT","ipAddr":"192.168.5.7","status":"UP",\
"overriddenStatus":"UNKNOWN","port":{"$":8097,"@enabled":"true"},\
"securePort":{"$":443,"@enabled":"false"},"countryId":1,"dataCenterInfo":\
{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"},\
"leaseInfo":{"renewalIntervalInSecs":30,"durationInSecs":90,\
"registrationTimestamp":1616008644028,"lastRenewalTimestamp":1616010774604,\
"evictionTimestamp":0,"serviceUpTimestamp":1616008644028},\
"metadata":{"@class":"java.util.Collections$EmptyMap"},\
"homePageUrl":"http://192.168.5.7:8097/",\
"statusPageUrl":"http://192.168.5.7:8097/actuator/info",\
"healthCheckUrl":"http://192.168.5.7:8097/actuator/health",\
"vipAddress":"pnc-config-client","secureVipAddress":"pnc-config-client",\
"isCoordinatingDiscoveryServer":"false","lastUpdatedTimestamp":"1616008644028",\
"lastDirtyTimestamp":"1616008643714","actionType":"ADDED"}]},\
{"name":"EUREKA-SERVER","instance":[\
{"instanceId":"10.10.10.212:eureka-server:8761","hostName":"10.10.10.212",\
"app":"EUREKA-SERVER","ipAddr":"10.10.10.212","status":"UP",\
"overriddenStatus":"UNKNOWN","port":{"$":8761,"@enabled":"true"},\
"securePort":{"$":443,"@enabled":"false"},"countryId":1,"dataCenterInfo":\
{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo","name":"MyOwn"},\
"leaseInfo":{"renewalIntervalInSecs":30,"durationInSecs":90,\
"registrationTimestamp":1540911244595,"lastRenewalTimestamp":1541527140066,\
"evictionTimestamp":0,"serviceUpTimestamp":1538238318044},\
"metadata":{"management.port":"8761"},"homePageUrl":"http://10.10.10.212:8761/",\
"statusPageUrl":"http://10.10.10.212:8761/info",\
"healthCheckUrl":"http://10.10.10.212:8761/health",\
"vipAddress":"eureka-server","secureVipAddress":"eureka-server",\
"isCoordinatingDiscoveryServer":"false","lastUpdatedTimestamp":"1540911244596",\
"lastDirtyTimestamp":"1540867949414","actionType":"ADDED"}]}]}}"""

#: ``GET /eureka/apps/delta`` when nothing changed in the last 3 minutes.
RECORDED_EMPTY_DELTA = (
    '{"applications":{"versions__delta":"2","apps__hashcode":"UP_3_","application":[]}}'
)
RECORDED_IDS = [
    "EUREKA-SERVER:10.10.10.212:eureka-server:8761",
    "PNC-CONFIG-CLIENT:192.168.5.7:pnc-config-client:8097",
    "PNC-CONFIG-CLIENT:192.168.5.7:pnc-config-client:8098",
]


def mirror_of(*urls: str) -> EurekaMirror:
    return EurekaMirror(urls, SystemClock(), interval=30)


def ids(mirror: EurekaMirror) -> list[str]:
    return sorted(record.id for record in mirror.catalog.list_instances())


def test_full_fetch_translates_like_a_eureka_registration(eureka):
    mirror = mirror_of(eureka.base + "/")
    mirror.refresh()
    record = mirror.catalog.get_instance(ORDERS_ID)
    assert record.service_name == "ORDERS"
    assert (record.endpoint.type, record.endpoint.value) == ("tcp", "orders-1:8080")
    assert record.tags == ("v1", "canary")
    assert (record.status, record.ttl) == ("UP", 90)
    assert record.last_renewal_ns == 1700000030000 * 1_000_000
    assert record.registration_ns == 1700000000000 * 1_000_000
    assert orjson.loads(record.extension or b"")["vipAddress"] == "orders"
    assert eureka.requests == ["/eureka/v2/apps"]
    assert mirror.state.status.synced


def test_untranslatable_instances_are_skipped(eureka):
    broken = instance("orders-2")
    broken["dataCenterInfo"] = {"name": "Mars"}
    eureka.documents["/apps"] = applications("1", "UP_2_", instance("orders-1"), broken)
    mirror = mirror_of(eureka.base)
    mirror.refresh()
    assert ids(mirror) == [ORDERS_ID]


def test_a_delta_is_applied_when_the_hashcode_agrees(eureka):
    mirror = mirror_of(eureka.base)
    mirror.refresh()
    revision = mirror.catalog.revision
    eureka.documents["/apps/delta"] = applications(
        "7", "DOWN_1_UP_1_", instance("orders-2", status="DOWN")
    )
    mirror.refresh()
    assert ids(mirror) == [ORDERS_ID, "ORDERS:orders-2:orders:8080"]
    assert mirror.catalog.revision > revision
    assert eureka.served("/apps") == 1  # no full fetch
    mirror.refresh()  # the same delta version again: nothing to do
    assert eureka.served("/apps/delta") == 2
    assert eureka.served("/apps") == 1

    removal = instance("orders-2", status="DOWN", action="DELETED")
    eureka.documents["/apps/delta"] = applications("8", "UP_1_", removal)
    mirror.refresh()
    assert ids(mirror) == [ORDERS_ID]
    assert eureka.served("/apps") == 1


def test_a_hashcode_mismatch_forces_a_full_fetch(eureka):
    mirror = mirror_of(eureka.base)
    mirror.refresh()
    eureka.documents["/apps/delta"] = applications(
        "7", "UP_5_", instance("orders-2")
    )  # the remote has more than the delta says: only a full fetch can tell
    eureka.documents["/apps"] = applications(
        "9", "UP_2_", instance("orders-1"), instance("orders-3")
    )
    mirror.refresh()
    assert eureka.served("/apps") == 2
    assert ids(mirror) == [ORDERS_ID, "ORDERS:orders-3:orders:8080"]


@pytest.mark.parametrize(
    "delta",
    [
        applications("-1", "UP_1_"),
        '{"unexpected": true}',
        applications("3", "UP_2_", {**instance("orders-2"), "dataCenterInfo": {}}),
    ],
    ids=["version -1", "not applications", "untranslatable"],
)
def test_an_unusable_delta_forces_a_full_fetch(eureka, delta):
    mirror = mirror_of(eureka.base)
    mirror.refresh()
    eureka.documents["/apps/delta"] = delta
    mirror.refresh()
    assert eureka.served("/apps") == 2
    assert ids(mirror) == [ORDERS_ID]


def test_a_failing_url_falls_over_and_the_last_good_state_is_kept(eureka):
    dead = f"http://127.0.0.1:{free_port()}/eureka/v2"
    mirror = mirror_of(dead, eureka.base)
    mirror.refresh()
    assert ids(mirror) == [ORDERS_ID]
    good = copy.copy(mirror.catalog.snapshot)

    eureka.documents.clear()  # every URL fails now: 404 here, refused there
    with pytest.raises(EurekaFetchError, match="HTTP 404") as failure:
        mirror.refresh()
    assert dead in str(failure.value)
    assert mirror.catalog.snapshot == good
    assert ids(mirror) == [ORDERS_ID]


def test_the_service_keeps_state_and_reports_errors_while_all_are_down(eureka):
    mirror = EurekaMirror([eureka.base], SystemClock(), interval=0.2)
    mirror.start()
    try:
        wait_for(lambda: ids(mirror) == [ORDERS_ID])
        eureka.documents.clear()
        wait_for(lambda: mirror.state.status.errors >= 1)
        assert ids(mirror) == [ORDERS_ID]
        assert "HTTP 404" in mirror.state.report()["last_error"]
        assert not mirror.state.report()["synced"]
    finally:
        mirror.stop()


def test_old_xstream_json_with_single_objects_is_read(eureka):
    """Eureka 1.1.x wrote a lone application or instance as an object, not an array."""
    eureka.documents["/apps"] = json.dumps(
        {
            "applications": {
                "versions__delta": "1",
                "apps__hashcode": "UP_1_",
                "application": {"name": "ORDERS", "instance": instance("orders-1")},
            }
        }
    )
    mirror = mirror_of(eureka.base)
    mirror.refresh()
    assert ids(mirror) == [ORDERS_ID]


def test_recorded_documents_replay(eureka):
    """A real registry, an empty delta, then a delta whose hashcode disagrees."""
    eureka.documents["/apps"] = RECORDED_APPS
    mirror = mirror_of(eureka.base)
    mirror.refresh()
    assert ids(mirror) == RECORDED_IDS
    empty = mirror.catalog.get_instance(RECORDED_IDS[1])
    assert empty.metadata is None  # the "@class" of an empty map is no metadata
    server = mirror.catalog.get_instance(RECORDED_IDS[0])
    assert (server.endpoint.type, server.endpoint.value) == ("tcp", "10.10.10.212:8761")
    assert (server.status, server.ttl) == ("UP", 90)
    assert server.last_renewal_ns == 1541527140066 * 1_000_000
    assert orjson.loads(server.metadata or b"") == {"management.port": "8761"}
    revision = mirror.catalog.revision

    eureka.documents["/apps/delta"] = RECORDED_EMPTY_DELTA
    mirror.refresh()
    assert (eureka.served("/apps"), eureka.served("/apps/delta")) == (1, 1)
    assert mirror.catalog.revision == revision  # nothing changed

    # One instance goes DOWN on the remote, but the delta the mirror gets says
    # UP_3_: its own count (DOWN_1_UP_2_) disagrees, so it fetches everything.
    modified = json.loads(RECORDED_APPS)["applications"]["application"][0]
    modified["instance"] = [{**modified["instance"][0], "status": "DOWN"}]
    modified["instance"][0]["actionType"] = "MODIFIED"
    eureka.documents["/apps/delta"] = json.dumps(
        {
            "applications": {
                "versions__delta": "3",
                "apps__hashcode": "UP_3_",
                "application": [modified],
            }
        }
    )
    down = RECORDED_APPS.replace('"status":"UP"', '"status":"DOWN"', 1)
    eureka.documents["/apps"] = down.replace('"UP_3_"', '"DOWN_1_UP_2_"', 1)
    mirror.refresh()
    assert eureka.served("/apps") == 2
    assert mirror.catalog.get_instance(RECORDED_IDS[2]).status == "DOWN"
    assert ids(mirror) == RECORDED_IDS
