"""GET apps/delta (eureka-api.md §4.6): changes, expiry, and the reconcile hash."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eureka_compat.statuses import apps_hashcode
from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime, install_runtime
from registry.store.clock import ManualClock

from .helpers import BASE, eureka_instance, get_json, instances_of, register


def actions(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (instance["instanceId"], instance["actionType"], instance["status"])
        for application in document["applications"]["application"]
        for instance in application["instance"]
    ]


def test_delta_lists_additions_changes_and_removals(client, runtime, clock):
    register(client, eureka_instance(host="h1", leaseInfo={"durationInSecs": 10}))
    register(client, eureka_instance(host="h2"))
    client.put(f"{BASE}/apps/DEMO-APP/h2:demo-app:8080/status?value=OUT_OF_SERVICE")
    register(client, eureka_instance("OTHER", host="h3"), app="OTHER")
    client.delete(f"{BASE}/apps/OTHER/h3:other:8080")
    clock.advance(11)
    runtime.catalogs.expire_all()

    document = get_json(client, f"{BASE}/apps/delta")
    assert actions(document) == [
        ("h1:demo-app:8080", "ADDED", "UP"),
        ("h2:demo-app:8080", "ADDED", "UP"),
        ("h2:demo-app:8080", "MODIFIED", "OUT_OF_SERVICE"),
        ("h1:demo-app:8080", "DELETED", "UP"),
        ("h3:other:8080", "ADDED", "UP"),
        ("h3:other:8080", "DELETED", "UP"),
    ]
    # The hash is the full registry's: only h2 is left.
    assert document["applications"]["apps__hashcode"] == "OUT_OF_SERVICE_1_"
    assert int(document["applications"]["versions__delta"]) > 0


def test_a_metadata_update_is_a_re_registration_in_the_delta(client, clock):
    """eureka-api.md §4.5: the server re-registers the instance internally."""
    register(client, eureka_instance(host="h1"))
    clock.advance(5)
    path = f"{BASE}/apps/DEMO-APP/h1:demo-app:8080"
    assert client.put(f"{path}/metadata?zone=z1").status_code == 200

    document = get_json(client, f"{BASE}/apps/delta")
    assert actions(document) == [
        ("h1:demo-app:8080", "ADDED", "UP"),
        ("h1:demo-app:8080", "ADDED", "UP"),
    ]
    latest = document["applications"]["application"][0]["instance"][-1]
    assert latest["metadata"]["zone"] == "z1"
    stored = get_json(client, path)["instance"]
    assert stored["metadata"]["zone"] == "z1"
    assert stored["leaseInfo"]["registrationTimestamp"] == clock.now_ns() // 1_000_000


def test_delta_window_is_three_minutes(client, clock):
    register(client, eureka_instance(host="old", leaseInfo={"durationInSecs": 600}))
    clock.advance(150)
    register(client, eureka_instance(host="new", leaseInfo={"durationInSecs": 600}))
    clock.advance(40)
    assert [a[0] for a in actions(get_json(client, f"{BASE}/apps/delta"))] == [
        "new:demo-app:8080"
    ]


def test_empty_delta_still_has_both_fields(client):
    document = get_json(client, f"{BASE}/apps/delta")
    assert document["applications"]["application"] == []
    assert document["applications"]["apps__hashcode"] == ""
    assert "versions__delta" in document["applications"]


def test_delta_in_xml(client):
    register(client, eureka_instance())
    response = client.get(f"{BASE}/apps/delta")
    assert response["Content-Type"] == "application/xml"
    assert b"<actionType>ADDED</actionType>" in response.content


# -- applying every delta to a full fetch equals the next full fetch --------------

HOSTS = ["h1", "h2", "h3", "h4"]
APPS = ["A", "B"]

operations = st.one_of(
    st.tuples(
        st.just("register"),
        st.sampled_from(APPS),
        st.sampled_from(HOSTS),
        st.sampled_from(["UP", "DOWN", "STARTING", "up"]),
    ),
    st.tuples(st.just("renew"), st.sampled_from(APPS), st.sampled_from(HOSTS)),
    st.tuples(
        st.just("status"),
        st.sampled_from(APPS),
        st.sampled_from(HOSTS),
        st.sampled_from(["OUT_OF_SERVICE", "UP", "DOWN"]),
    ),
    st.tuples(st.just("unstatus"), st.sampled_from(APPS), st.sampled_from(HOSTS)),
    st.tuples(st.just("cancel"), st.sampled_from(APPS), st.sampled_from(HOSTS)),
    st.tuples(
        st.just("metadata"),
        st.sampled_from(APPS),
        st.sampled_from(HOSTS),
        st.sampled_from(["1", "2"]),
    ),
    st.tuples(st.just("native"), st.sampled_from(["x", "y"])),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=40)),
)


def comparable(instance: dict[str, Any]) -> dict[str, Any]:
    # Renewal times move without a delta entry, in Eureka too; actionType differs.
    return {k: v for k, v in instance.items() if k not in ("leaseInfo", "actionType")}


def apply_op(
    client: Client, runtime: RegistryRuntime, clock: ManualClock, op: tuple
) -> None:
    kind = op[0]
    if kind == "register":
        _, app, host, status = op
        register(
            client,
            eureka_instance(app, host, status=status, leaseInfo={"durationInSecs": 20}),
            app=app,
        )
        return
    if kind == "native":
        client.post(
            "/api/v1/instances",
            b'{"service_name":"n","endpoint":{"type":"tcp","value":"%s:1"},"ttl":15}'
            % op[1].encode(),
            content_type="application/json",
        )
        return
    if kind == "wait":
        clock.advance(op[1])
        runtime.catalogs.expire_all()
        return
    app, host = op[1], op[2]
    path = f"{BASE}/apps/{app}/{host}:{app.lower()}:8080"
    if kind == "renew":
        client.put(path)
    elif kind == "status":
        client.put(f"{path}/status?value={op[3]}")
    elif kind == "unstatus":
        client.delete(f"{path}/status")
    elif kind == "cancel":
        client.delete(path)
    elif kind == "metadata":
        client.put(f"{path}/metadata?k={op[3]}")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batches=st.lists(st.lists(operations, max_size=6), min_size=1, max_size=6))
def test_applying_deltas_reproduces_the_full_registry(batches):
    clock = ManualClock()
    previous = install_runtime(RegistryRuntime(RegistryConfig(), clock))
    try:
        client = Client()
        local = {
            k: comparable(v)
            for k, v in instances_of(get_json(client, f"{BASE}/apps")).items()
        }
        for batch in batches:
            for op in batch:
                apply_op(client, install_runtime_current(), clock, op)
            delta = get_json(client, f"{BASE}/apps/delta")
            for application in delta["applications"]["application"]:
                for instance in application["instance"]:
                    if instance["actionType"] == "DELETED":
                        local.pop(instance["instanceId"], None)
                    else:
                        local[instance["instanceId"]] = comparable(instance)
            assert (
                apps_hashcode(i["status"] for i in local.values())
                == delta["applications"]["apps__hashcode"]
            )
            full = {
                k: comparable(v)
                for k, v in instances_of(get_json(client, f"{BASE}/apps")).items()
            }
            assert local == full
    finally:
        install_runtime(previous)


def install_runtime_current() -> RegistryRuntime:
    from registry.runtime import get_runtime

    return get_runtime()


@pytest.mark.parametrize("status", ["UP", "DOWN"])
def test_hashcode_counts_statuses(status):
    assert apps_hashcode([status, "UP", "OUT_OF_SERVICE"]) == (
        "DOWN_1_OUT_OF_SERVICE_1_UP_1_"
        if status == "DOWN"
        else "OUT_OF_SERVICE_1_UP_2_"
    )
