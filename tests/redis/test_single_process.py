"""One registry process (default workers) on one standalone Redis.

The native round trip, TTL expiry, ``OUT_OF_SERVICE`` never expiring, the Eureka
delta's ``DELETED`` after an expiry, and expiry after Redis lost its data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.support import RegistryServer, unique
from tests.redis.support import (
    EXPIRY_GRACE,
    JSON_CONTENT_TYPE,
    Api,
    Stack,
    assert_expires,
    delta_actions,
    eureka_instance,
    native_id,
    store_flags,
    wait_for,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

TTL = 1
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def redis_store(stack: Stack) -> RedisServer:
    return stack.redis()


@pytest.fixture(scope="module")
def registry(stack: Stack, redis_store: RedisServer) -> RegistryServer:
    return stack.registry(*store_flags(redis_store), "--min_ttl", "1s")


@pytest.fixture
def api(registry: RegistryServer) -> Iterator[Api]:
    with Api(registry) as client:
        yield client


def deleted(api: Api, eureka_id: str) -> bool:
    """Whether the Eureka delta lists the instance as added, then deleted."""
    delta = api.get("/eureka/v2/apps/delta", headers=JSON)
    assert delta.status_code == 200, delta.text
    return delta_actions(delta.json(), [eureka_id]) == ["ADDED", "DELETED"]


def test_register_list_filter_heartbeat_deregister_round_trip(api):
    service, other = unique("round"), unique("round-other")
    first = api.register(
        service, "10.0.0.1:80", ttl=40, tags=["v1", "canary"], metadata={"v": 1}
    )
    assert first.status_code == 201, first.text
    first_id = first.json()["id"]
    assert first_id == native_id(service, "10.0.0.1:80")
    assert first.json()["ttl"] == 40
    assert first.headers["Location"] == api.server.url(f"/api/v1/instances/{first_id}")
    second_id = api.register_ok(service, "10.0.0.2:80", status="starting", tags=["v2"])
    other_id = api.register_ok(other, "10.0.0.3:80")

    by_service = api.get(f"/api/v1/services/{service}")
    assert by_service.status_code == 200, by_service.text
    assert by_service.headers["Content-Type"] == JSON_CONTENT_TYPE
    instances = {i["id"]: i for i in by_service.json()["instances"]}
    assert set(instances) == {first_id, second_id}
    assert instances[first_id] == {
        "id": first_id,
        "service_name": service,
        "endpoint": {"type": "http", "value": "10.0.0.1:80"},
        "ttl": 40,
        "status": "UP",
        "metadata": {"v": 1},
        "last_heartbeat": instances[first_id]["last_heartbeat"],
        "tags": ["v1", "canary"],
    }
    assert instances[second_id]["status"] == "STARTING"
    assert {service, other} <= set(api.services())

    assert api.ids(service) == {first_id, second_id}
    assert {i["id"] for i in api.instances(service_name=service, tags="canary")} == {
        first_id
    }
    assert {i["id"] for i in api.instances(service_name=service, status="up")} == {
        first_id
    }
    assert {i["id"] for i in api.instances(status="STARTING", tags="v2")} == {second_id}
    assert api.instances(service_name=service, fields="status", tags="v2") == [
        {
            "id": second_id,
            "endpoint": {"type": "http", "value": "10.0.0.2:80"},
            "status": "STARTING",
        }
    ]
    unfiltered = {i["id"] for i in api.instances()}
    assert {first_id, other_id} <= unfiltered
    assert second_id not in unfiltered  # STARTING is hidden without filters

    before = instances[first_id]["last_heartbeat"]
    heartbeat = api.heartbeat(first_id)
    assert (heartbeat.status_code, heartbeat.content) == (200, b"")
    [renewed] = api.instances(id=first_id)
    assert renewed["last_heartbeat"] > before  # RFC 3339 UTC sorts as text

    # The same service and endpoint again is the same instance (an upsert).
    assert api.register_ok(service, "10.0.0.1:80", ttl=40) == first_id
    assert api.ids(service) == {first_id, second_id}

    removed = api.deregister(first_id)
    assert (removed.status_code, removed.content) == (200, b"")
    assert api.ids(service) == {second_id}
    assert not api.exists(first_id)
    again = api.deregister(first_id)
    assert (again.status_code, again.json()) == (
        410,
        {"Error": "Failed to deregister instance"},
    )
    late = api.heartbeat(first_id)
    assert (late.status_code, late.json()) == (
        410,
        {"Error": "Failed to renew instance registration"},
    )
    assert api.ids(other) == {other_id}


def test_heartbeats_keep_an_instance_and_it_expires_after_they_stop(api):
    service = unique("expiry")
    registered = api.register(service, ttl=TTL)
    assert registered.status_code == 201, registered.text
    assert registered.json()["ttl"] == TTL
    instance_id = registered.json()["id"]

    keep_until = time.monotonic() + 2 * TTL
    while True:
        sent = time.monotonic()
        response = api.heartbeat(instance_id)
        answered = time.monotonic()
        assert response.status_code == 200, response.text
        assert api.exists(instance_id)
        if answered > keep_until:
            break
        time.sleep(0.25)

    assert_expires(lambda: api.exists(instance_id), sent, answered, TTL, "instance")
    assert api.ids(service) == set()
    time.sleep(0.5)  # swept by now (see the next test for before the sweep)
    assert api.heartbeat(instance_id).status_code == 410
    assert api.deregister(instance_id).status_code == 410


@pytest.mark.parametrize("late_request", ["heartbeat", "deregister"])
def test_requests_after_the_ttl_ran_out_find_no_instance(api, late_request):
    """Reads hide an instance as soon as its TTL has run out; writes must agree.

    Ten instances, registered 30 ms apart so their deadlines fall at every phase of
    the 0.2 s sweep; each gets its late request 30 ms after its deadline.
    """
    service = unique("late")
    deadlines = []
    for number in range(10):
        instance_id = api.register_ok(service, f"10.0.0.{number}:80", ttl=TTL)
        deadlines.append((time.monotonic() + TTL, instance_id))
        time.sleep(0.03)
    statuses = {}
    for deadline, instance_id in deadlines:
        time.sleep(max(0.0, deadline + 0.03 - time.monotonic()))
        statuses[instance_id] = getattr(api, late_request)(instance_id).status_code
    assert statuses == dict.fromkeys(statuses, 410)
    assert api.ids(service) == set()


def test_out_of_service_never_expires(api):
    service = unique("oos")
    sent = time.monotonic()
    out = api.register_ok(service, "10.0.0.1:80", ttl=TTL, status="OUT_OF_SERVICE")
    up = api.register_ok(service, "10.0.0.2:80", ttl=TTL)
    answered = time.monotonic()

    assert_expires(lambda: api.exists(up), sent, answered, TTL, "UP instance")
    time.sleep(EXPIRY_GRACE)  # well past the OUT_OF_SERVICE one's TTL too

    [instance] = api.instances(service_name=service)
    assert (instance["id"], instance["status"]) == (out, "OUT_OF_SERVICE")
    assert api.heartbeat(out).status_code == 200
    assert api.deregister(out).status_code == 200


def test_eureka_registration_expires_into_a_deleted_delta_entry(api):
    app = unique("APP").upper()
    body = eureka_instance(app, "10.1.2.3", duration=TTL)
    eureka_id = body["instance"]["instanceId"]
    sent = time.monotonic()
    created = api.request("POST", f"/eureka/v2/apps/{app}", json=body)
    assert created.status_code == 204, created.text
    renewed = api.request("PUT", f"/eureka/v2/apps/{app}/{eureka_id}")
    answered = time.monotonic()
    assert renewed.status_code == 200, renewed.text

    application = api.get(f"/eureka/v2/apps/{app}", headers=JSON)
    assert application.status_code == 200, application.text
    [instance] = application.json()["application"]["instance"]
    assert instance["instanceId"] == eureka_id
    delta = api.get("/eureka/v2/apps/delta", headers=JSON)
    assert delta_actions(delta.json(), [eureka_id]) == ["ADDED"]

    def present() -> bool:
        response = api.get(f"/eureka/v2/apps/{app}/{eureka_id}", headers=JSON)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    assert_expires(present, sent, answered, TTL, "Eureka instance")
    # Reads hide an instance past its deadline at once; the sweep journals DELETED.
    wait_for(lambda: deleted(api, eureka_id), 1.0, "the delta lists DELETED")
    assert api.request("PUT", f"/eureka/v2/apps/{app}/{eureka_id}").status_code == 404
    assert api.ids(app) == set()


def test_expiry_still_runs_after_redis_lost_its_data(stack):
    """A Redis restarted without persistence comes back empty; the registry must go on
    sweeping (and journalling) the instances registered after that.

    One worker, so the catalog the first request makes is the one used afterwards.
    """
    lossy = stack.redis()
    registry = stack.registry(*store_flags(lossy), "--min_ttl", "1s", "--workers", "1")
    with Api(registry) as api:
        api.register_ok(unique("before"), ttl=60)
        lossy.stop()
        lossy.start()  # no persistence: an empty Redis on the same port
        wait_for(api.serves, 10, "the registry serves again")
        assert registry.process is not None
        assert registry.process.poll() is None

        app = unique("LOST").upper()
        body = eureka_instance(app, "10.9.9.9", duration=TTL)
        eureka_id = body["instance"]["instanceId"]
        service = unique("lost")
        sent = time.monotonic()
        created = api.request("POST", f"/eureka/v2/apps/{app}", json=body)
        native = api.register_ok(service, ttl=TTL)
        answered = time.monotonic()
        assert created.status_code == 204, created.text
        assert service in api.services()

        assert_expires(lambda: api.exists(native), sent, answered, TTL, "instance")
        # Only the sweep removes the service name and journals DELETED.
        wait_for(lambda: service not in api.services(), 1.0, "the service name goes")
        wait_for(lambda: deleted(api, eureka_id), 1.0, "the delta lists DELETED")
