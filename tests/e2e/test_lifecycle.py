"""Heartbeat, deregistration and TTL expiry over HTTP (spec §5.5, §5.6, §7.1).

Expiry runs on the ``short_ttl_server`` (min TTL 1 s). The server sweeps every
0.2 s, so an instance must be gone within 1 s of ``last_heartbeat + ttl``; tests
poll with a deadline instead of sleeping for fixed periods.
"""

from __future__ import annotations

import time

import pytest

from registry_client import RegistryClient
from tests.e2e.support import (
    assert_empty,
    assert_error,
    instance_body,
    list_instances,
    parse_rfc3339,
    register,
    unique,
    wait_until,
)

pytestmark = pytest.mark.e2e

RENEWAL_FAILED = "Failed to renew instance registration"
DEREGISTRATION_FAILED = "Failed to deregister instance"
TTL = 1
GRACE = 1.5  # sweep interval, request latency and a loaded CI host


def exists(http, server, instance_id) -> bool:
    response = http.get(server.url(f"/api/v1/instances/{instance_id}"))
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def heartbeat(http, server, instance_id):
    return http.put(server.url(f"/api/v1/instances/{instance_id}/heartbeat"))


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


# --- round trip -------------------------------------------------------------------


def test_round_trip(default_server, http):
    """Register, find, renew, deregister: each step visible in the reads."""
    name = unique()
    body = instance_body(name, "10.2.0.1:80", tags=["v1"], metadata={"v": 1})
    created = register(http, default_server, body)
    instance_id = created["id"]

    assert name in http.get(default_server.url("/api/v1/services")).json()["services"]
    [listed] = list_instances(http, default_server, f"?service_name={name}")
    assert listed["id"] == instance_id
    assert listed["tags"] == ["v1"]
    by_service = http.get(default_server.url(f"/api/v1/services/{name}")).json()
    assert [i["id"] for i in by_service["instances"]] == [instance_id]
    assert http.get(created["links"]["self"]).json()["instance"]["id"] == instance_id

    assert_empty(http.put(created["links"]["heartbeat"]))
    assert_empty(http.delete(created["links"]["self"]))

    assert list_instances(http, default_server, f"?service_name={name}") == []
    assert (
        name not in http.get(default_server.url("/api/v1/services")).json()["services"]
    )
    assert_error(http.get(created["links"]["self"]), 404, "Instance not found")


# --- heartbeat ----------------------------------------------------------------------


def test_heartbeat_renews_and_changes_nothing_else(default_server, http):
    name = unique()
    result = register(
        http, default_server, instance_body(name, ttl=40, status="STARTING")
    )
    [before] = list_instances(http, default_server, f"?service_name={name}")

    response = heartbeat(http, default_server, result["id"])

    assert_empty(response)
    [after] = list_instances(http, default_server, f"?service_name={name}")
    assert parse_rfc3339(after["last_heartbeat"]) > parse_rfc3339(
        before["last_heartbeat"]
    )
    assert {**after, "last_heartbeat": None} == {**before, "last_heartbeat": None}


def test_heartbeat_ignores_its_body(default_server, http):
    result = register(http, default_server, instance_body(unique()))
    response = http.put(
        default_server.url(f"/api/v1/instances/{result['id']}/heartbeat"),
        json={"ttl": 999, "status": "OUT_OF_SERVICE"},
    )
    assert_empty(response)
    instance = http.get(default_server.url(f"/api/v1/instances/{result['id']}"))
    assert instance.json()["instance"]["ttl"] == 30
    assert instance.json()["instance"]["status"] == "UP"


def test_heartbeat_of_unknown_instance_is_410(default_server, http):
    response = heartbeat(http, default_server, "0123456789abcdef")
    assert_error(response, 410, RENEWAL_FAILED)


# --- deregistration -----------------------------------------------------------------


def test_deregister(default_server, http):
    name = unique()
    first = register(http, default_server, instance_body(name, "h:1"))
    second = register(http, default_server, instance_body(name, "h:2"))

    response = http.delete(default_server.url(f"/api/v1/instances/{first['id']}"))

    assert_empty(response)
    assert [
        i["id"] for i in list_instances(http, default_server, f"?service_name={name}")
    ] == [second["id"]]
    assert not exists(http, default_server, first["id"])
    assert_error(
        http.delete(default_server.url(f"/api/v1/instances/{first['id']}")),
        410,
        DEREGISTRATION_FAILED,
    )
    assert_error(heartbeat(http, default_server, first["id"]), 410, RENEWAL_FAILED)

    # Removing the last instance removes the service.
    assert_empty(http.delete(default_server.url(f"/api/v1/instances/{second['id']}")))
    assert (
        name not in http.get(default_server.url("/api/v1/services")).json()["services"]
    )
    assert_error(
        http.get(default_server.url(f"/api/v1/services/{name}")),
        404,
        "Failed to enumerate service names",
    )


def test_deregister_unknown_instance_is_410(default_server, http):
    response = http.delete(default_server.url("/api/v1/instances/0123456789abcdef"))
    assert_error(response, 410, DEREGISTRATION_FAILED)


def test_reregistration_after_deregistration(default_server, http):
    name = unique()
    first = register(http, default_server, instance_body(name))
    assert_empty(http.delete(default_server.url(f"/api/v1/instances/{first['id']}")))
    again = register(http, default_server, instance_body(name))
    assert again["id"] == first["id"]
    assert exists(http, default_server, first["id"])


# --- expiry -------------------------------------------------------------------------


def test_instance_expires_after_its_ttl(short_ttl_server, http):
    server = short_ttl_server
    name = unique()
    started = time.monotonic()
    result = register(http, server, instance_body(name, ttl=TTL))
    assert result["ttl"] == TTL
    instance_id = result["id"]

    sleep_until(started + TTL * 0.6)
    assert exists(http, server, instance_id), "expired before its TTL"

    assert wait_until(lambda: not exists(http, server, instance_id), TTL + GRACE), (
        "still registered well after its TTL"
    )
    # It cannot have gone before last_heartbeat + ttl (>= started + ttl).
    assert time.monotonic() >= started + TTL

    assert list_instances(http, server, f"?service_name={name}") == []
    assert name not in http.get(server.url("/api/v1/services")).json()["services"]
    assert_error(heartbeat(http, server, instance_id), 410, RENEWAL_FAILED)
    assert_error(
        http.delete(server.url(f"/api/v1/instances/{instance_id}")),
        410,
        DEREGISTRATION_FAILED,
    )


def test_heartbeats_keep_an_instance_alive(short_ttl_server, http):
    server = short_ttl_server
    result = register(http, server, instance_body(unique(), ttl=TTL))
    instance_id = result["id"]

    alive_until = time.monotonic() + 2.2 * TTL
    while time.monotonic() < alive_until:
        time.sleep(TTL * 0.3)
        assert_empty(heartbeat(http, server, instance_id))
        assert exists(http, server, instance_id)
    last_heartbeat = time.monotonic()

    # Without heartbeats it goes, one TTL after the last one.
    sleep_until(last_heartbeat + TTL * 0.5)
    assert exists(http, server, instance_id)
    assert wait_until(
        lambda: not exists(http, server, instance_id),
        last_heartbeat + TTL + GRACE - time.monotonic(),
    )


def test_sweep_spares_out_of_service_and_extended_instances(short_ttl_server, http):
    """One wait covers both: an OUT_OF_SERVICE instance never expires, and one
    re-registered with a longer TTL outlives its first TTL."""
    server = short_ttl_server
    name = unique()
    started = time.monotonic()
    parked = register(
        http, server, instance_body(name, "h:1", ttl=TTL, status="OUT_OF_SERVICE")
    )["id"]
    extended = register(http, server, instance_body(name, "h:2", ttl=TTL))["id"]
    assert register(http, server, instance_body(name, "h:2", ttl=4))["ttl"] == 4
    witness = register(http, server, instance_body(name, "h:3", ttl=TTL))["id"]

    # Once an instance registered with them has expired, the sweep had its chance.
    assert wait_until(lambda: not exists(http, server, witness), TTL + GRACE)
    sleep_until(started + TTL + 0.5)
    assert exists(http, server, extended)
    assert exists(http, server, parked)
    listed = list_instances(http, server, f"?service_name={name}")
    assert {i["id"]: i["status"] for i in listed} == {
        parked: "OUT_OF_SERVICE",
        extended: "UP",
    }
    assert_empty(http.delete(server.url(f"/api/v1/instances/{extended}")))

    # Back in service (re-registration), the parked one expires like any other.
    changed = time.monotonic()
    register(http, server, instance_body(name, "h:1", ttl=TTL))
    assert wait_until(
        lambda: not exists(http, server, parked),
        changed + TTL + GRACE - time.monotonic(),
    )


def test_reregistration_with_a_shorter_ttl_takes_effect(short_ttl_server, http):
    server = short_ttl_server
    name = unique()
    instance_id = register(http, server, instance_body(name, ttl=60))["id"]
    changed = time.monotonic()
    assert register(http, server, instance_body(name, ttl=TTL))["ttl"] == TTL
    assert wait_until(
        lambda: not exists(http, server, instance_id),
        changed + TTL + GRACE - time.monotonic(),
    )


def test_the_python_client_keeps_an_instance_alive_and_removes_it(short_ttl_server):
    """What a service does with ``registry_client``: register, live on its
    heartbeats well past the TTL, deregister when it stops."""
    service = unique()
    with RegistryClient(short_ttl_server.url(""), cache_max_age=0) as client:
        registration = client.register(service, "10.9.0.1:80", ttl=TTL)
        time.sleep(2.5 * TTL)
        assert [i.id for i in client.instances(service)] == [registration.id]
        assert registration.reregistrations == 0
        assert client.pick(service).endpoint == "10.9.0.1:80"
    fresh = RegistryClient(short_ttl_server.url(""), cache_max_age=0)
    assert fresh.instances(service, status=None) == []
