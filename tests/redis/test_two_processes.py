"""Two registry processes (two workers each) on one Redis serve one registry.

Trusted mode, so every test has namespaces of its own; ``namespace_capacity`` 5 on
both processes.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest

from tests.e2e.support import RegistryServer, unique
from tests.redis.support import (
    Api,
    Stack,
    assert_expires,
    eureka_instance,
    run_threads,
    store_flags,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

TTL = 1
CAPACITY = 5


@pytest.fixture(scope="module")
def redis_store(stack: Stack) -> RedisServer:
    return stack.redis()


@pytest.fixture(scope="module")
def pair(stack: Stack, redis_store: RedisServer) -> list[RegistryServer]:
    flags = [
        *store_flags(redis_store),
        "--workers", "2",
        "--auth_mode", "trusted",
        "--namespace_capacity", str(CAPACITY),
        "--min_ttl", "1s",
    ]  # fmt: skip
    return stack.registries_at_once(flags, flags)


@pytest.fixture
def namespace() -> str:
    return f"ns-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def a(pair, namespace):
    with Api(pair[0], namespace) as api:
        yield api


@pytest.fixture
def b(pair, namespace):
    with Api(pair[1], namespace) as api:
        yield api


def test_register_on_one_process_list_renew_deregister_on_the_other(a, b):
    service = unique("cross")
    first = a.register_ok(service, "10.0.0.1:80", ttl=60, tags=["x"])
    second = b.register_ok(service, "10.0.0.2:80", ttl=60)

    assert a.ids(service) == b.ids(service) == {first, second}
    listed = b.get(f"/api/v1/services/{service}")
    assert listed.status_code == 200, listed.text
    assert {i["id"] for i in listed.json()["instances"]} == {first, second}
    assert service in b.services()
    [before] = a.instances(id=first)

    assert b.heartbeat(first).status_code == 200
    [after] = a.instances(id=first)
    assert after["last_heartbeat"] > before["last_heartbeat"]
    assert {**after, "last_heartbeat": None} == {**before, "last_heartbeat": None}

    assert b.deregister(first).status_code == 200
    assert a.ids(service) == b.ids(service) == {second}
    assert a.deregister(first).status_code == 410
    assert a.heartbeat(first).status_code == 410
    assert a.deregister(second).status_code == 200
    assert b.ids(service) == set()
    assert service not in a.services()


def test_heartbeats_to_the_other_process_keep_an_instance_alive(a, b):
    """Registered on A, renewed only on B, while both sweep: it lives past its TTL
    and goes once the heartbeats stop, whichever process looks."""
    service = unique("renewed-on-b")
    instance_id = a.register_ok(service, ttl=TTL)
    keep_until = time.monotonic() + 2.5 * TTL
    while True:
        sent = time.monotonic()
        response = b.heartbeat(instance_id)
        answered = time.monotonic()
        assert response.status_code == 200, response.text
        assert a.exists(instance_id), "expired although B renewed it"
        if answered > keep_until:
            break
        time.sleep(0.25)

    def present_on_both() -> bool:
        on_a, on_b = a.exists(instance_id), b.exists(instance_id)
        assert on_a or not on_b, "gone on A but still listed on B"
        return on_a

    assert_expires(present_on_both, sent, answered, TTL, "instance")
    assert not b.exists(instance_id)
    assert a.ids(service) == b.ids(service) == set()


def test_capacity_holds_across_processes(pair, namespace):
    """Ten distinct registrations at once, alternating A and B: exactly five fit."""
    service = unique("capacity")
    start = threading.Barrier(10)

    def register(index: int) -> tuple[int, bytes]:
        with Api(pair[index % 2], namespace) as api:
            start.wait(timeout=30)
            response = api.register(service, f"10.0.0.{index}:80", ttl=60)
            return response.status_code, response.content

    results = run_threads(register, 10)
    assert Counter(status for status, _ in results) == {201: 5, 403: 5}, results
    rejected = {content for status, content in results if status == 403}
    assert rejected == {b'{"Error":"Failed to register instance"}'}

    with Api(pair[0], namespace) as a, Api(pair[1], namespace) as b:
        created = {json.loads(body)["id"] for status, body in results if status == 201}
        assert a.ids(service) == b.ids(service) == created
        assert len(a.instances()) == CAPACITY

        # Re-registering an existing id at capacity succeeds; a new one does not.
        [some_id] = sorted(created)[:1]
        [instance] = b.instances(id=some_id)
        again = b.register(service, instance["endpoint"]["value"], ttl=60)
        assert again.status_code == 201, again.text
        assert a.register(service, "10.0.1.1:80").status_code == 403
        # A deregistration on one process frees a place for the other.
        assert a.deregister(some_id).status_code == 200
        assert b.register(service, "10.0.1.1:80").status_code == 201
        assert b.register(service, "10.0.1.2:80").status_code == 403
        assert len(a.ids(service)) == CAPACITY


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/api/v1/instances?service_name={service}", "heartbeat"),
        ("/api/v1/services/{service}", "heartbeat"),
        ("/api/v1/instances", "heartbeat"),
        ("/api/v1/services", "new service"),
    ],
)
def test_both_processes_answer_the_same_etag(a, b, path, change):
    service = unique("etag")
    first = a.register_ok(service, "10.0.0.1:80", ttl=60)
    b.register_ok(service, "10.0.0.2:80", ttl=60, tags=["t"])
    url = path.format(service=service)

    on_a, on_b = a.get(url), b.get(url)
    assert on_a.status_code == on_b.status_code == 200, (on_a.text, on_b.text)
    assert on_a.content == on_b.content
    etag = on_a.headers["ETag"]
    assert on_b.headers["ETag"] == etag

    not_modified = b.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304, not_modified.text
    assert not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    assert a.get(url, headers={"If-None-Match": etag}).status_code == 304

    # A change made through B is seen by A at once: new body, new ETag, no 304.
    if change == "heartbeat":
        assert b.heartbeat(first).status_code == 200  # last_heartbeat changes
    else:
        b.register_ok(unique("etag-other"), ttl=60)  # the name list changes
    changed_a = a.get(url, headers={"If-None-Match": etag})
    changed_b = b.get(url, headers={"If-None-Match": etag})
    assert changed_a.status_code == changed_b.status_code == 200
    assert changed_a.content == changed_b.content != on_a.content
    assert changed_a.headers["ETag"] == changed_b.headers["ETag"] != etag


def eureka_copy(app: str, dirty_ms: int, writer: str) -> dict[str, Any]:
    document = eureka_instance(app, "10.7.0.1")
    document["instance"]["lastDirtyTimestamp"] = str(dirty_ms)
    document["instance"]["metadata"] = {"writer": writer}
    return document


def test_the_eureka_conflict_rule_holds_across_processes(pair, namespace):
    """Process B keeps receiving a stale copy (older lastDirtyTimestamp) while A
    re-registers the newer one: the stored copy is the newer one throughout, and
    no request fails (the rule runs inside the store, atomically)."""
    app = unique("race").upper()
    path = f"/eureka/v2/apps/{app}"
    newer, older = eureka_copy(app, 2_000, "new"), eureka_copy(app, 1_000, "old")
    instance_path = f"{path}/{newer['instance']['instanceId']}"
    with Api(pair[0], namespace) as a:
        assert a.request("POST", path, json=newer).status_code == 204

    def post(index: int) -> list[int]:
        with Api(pair[index % 2], namespace) as api:
            document = newer if index % 2 == 0 else older
            statuses = []
            for _ in range(40):
                statuses.append(api.request("POST", path, json=document).status_code)
                stored = api.get(instance_path, headers={"Accept": "application/json"})
                assert stored.json()["instance"]["metadata"] == {"writer": "new"}
            return statuses

    results = run_threads(post, 4)
    assert {status for statuses in results for status in statuses} == {204}


def test_a_stale_eureka_registration_racing_a_cancel_never_fails(pair, namespace):
    """Cancels and re-registrations of the newer copy on A, stale registrations on
    B: every answer is one of the two writes' (204, or 200/404 for a cancel),
    never a 5xx, and the instance ends listed once."""
    app = unique("cancel").upper()
    path = f"/eureka/v2/apps/{app}"
    newer, older = eureka_copy(app, 2_000, "new"), eureka_copy(app, 1_000, "old")
    instance_path = f"{path}/{newer['instance']['instanceId']}"

    def race(index: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        with Api(pair[index % 2], namespace) as api:
            for _ in range(40):
                if index % 2 == 0:
                    statuses[api.request("DELETE", instance_path).status_code] += 1
                    statuses[api.request("POST", path, json=newer).status_code] += 1
                else:
                    statuses[api.request("POST", path, json=older).status_code] += 1
        return statuses

    totals = sum(run_threads(race, 4), Counter())
    assert set(totals) <= {200, 204, 404}, totals
    with Api(pair[0], namespace) as a:
        listed = a.get(f"{path}", headers={"Accept": "application/json"})
        assert listed.status_code == 200
        assert len(listed.json()["application"]["instance"]) == 1
