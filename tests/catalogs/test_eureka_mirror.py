"""The Eureka mirror against a fixture server replaying real-Eureka documents.

The documents have the shape Eureka 1.10 (Jackson) serves for ``GET apps`` and
``GET apps/delta`` with ``Accept: application/json``.
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
