"""Redis going away and coming back under a running registry (``store_timeout`` 1 s).

Redis runs with ``appendonly yes`` and ``appendfsync always``: every acknowledged
write survives its restart. While it is away every store request answers 503 within
about ``store_timeout``, ``/uptime`` reports the store unhealthy, the process stays
up, and it serves again as soon as Redis is back, without a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.e2e.support import RegistryServer, unique
from tests.redis.support import (
    JSON_CONTENT_TYPE,
    Api,
    Stack,
    assert_store_unavailable,
    eureka_instance,
    pause,
    resume,
    run_threads,
    store_flags,
    wait_every_worker_healthy,
    wait_for,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

STORE_TIMEOUT = 1.0
#: "Within about store_timeout": the timeout plus a second for a loaded host.
FAIL_WITHIN = STORE_TIMEOUT + 1.0
RECOVER_WITHIN = 10.0


@pytest.fixture(scope="module")
def redis_store(stack: Stack) -> RedisServer:
    return stack.redis("--appendonly", "yes", "--appendfsync", "always")


@pytest.fixture(scope="module")
def registry(stack: Stack, redis_store: RedisServer) -> RegistryServer:
    return stack.registry(
        *store_flags(redis_store), "--store_timeout", f"{STORE_TIMEOUT:g}s"
    )


@pytest.fixture
def api(registry: RegistryServer, redis_store: RedisServer) -> Iterator[Api]:
    with Api(registry) as client:
        yield client
    # Leave Redis up for the next test, whatever happened in this one.
    resume(redis_store)
    if redis_store.process is None:
        redis_store.start()


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable_everywhere(
    api: Api, service: str, instance_id: str, every: bool = True
) -> None:
    """Every kind of store request answers 503 promptly; the process stays up.

    ``every=False``: one read and one write of each API (when each takes a second).
    """
    eureka = eureka_instance(unique("DOWN").upper(), "10.0.0.9")
    calls: dict[str, Callable[[], requests.Response]] = {
        "list": lambda: api.get("/api/v1/instances", params={"service_name": service}),
        "list all": lambda: api.get("/api/v1/instances"),
        "service": lambda: api.get(f"/api/v1/services/{service}"),
        "services": lambda: api.get("/api/v1/services"),
        "instance": lambda: api.instance(instance_id),
        "register": lambda: api.register(service, "10.0.0.99:80", ttl=300),
        "heartbeat": lambda: api.heartbeat(instance_id),
        "deregister": lambda: api.deregister(instance_id),
    }
    if not every:
        calls = {what: calls[what] for what in ("list", "register", "heartbeat")}
    for what, call in calls.items():
        response, elapsed = timed(call)
        assert elapsed < FAIL_WITHIN, f"{what}: {elapsed:.2f}s"
        assert_store_unavailable(response)

    eureka_calls: dict[str, Callable[[], requests.Response]] = {
        "eureka apps": lambda: api.get("/eureka/v2/apps"),
        "eureka register": lambda: api.request(
            "POST", f"/eureka/v2/apps/{eureka['instance']['app']}", json=eureka
        ),
    }
    if not every:
        del eureka_calls["eureka apps"]
    for what, call in eureka_calls.items():
        response, elapsed = timed(call)
        assert elapsed < FAIL_WITHIN, f"{what}: {elapsed:.2f}s"
        assert (response.status_code, response.content) == (503, b""), what

    uptime, elapsed = timed(api.uptime)
    assert elapsed < FAIL_WITHIN, f"/uptime: {elapsed:.2f}s"
    assert uptime.status_code == 503, uptime.text
    assert uptime.headers["Content-Type"] == JSON_CONTENT_TYPE
    report = uptime.json()
    assert report["UPTIME"]["healthy"] is True
    assert report["STORE"]["healthy"] is False
    assert report["STORE"]["properties"]["store"] == "redis"
    root = api.get("/")
    assert root.status_code == 200  # the process itself is fine


def assert_serves_again(
    api: Api, registry: RegistryServer, service: str, ids: set[str]
) -> None:
    wait_for(lambda: api.serves(service), RECOVER_WITHIN, "requests succeed again")
    assert api.ids(service) == ids
    for instance_id in ids:
        assert api.heartbeat(instance_id).status_code == 200
    new = api.register_ok(service, "10.0.1.1:80", ttl=300)
    assert api.ids(service) == {*ids, new}
    assert api.deregister(new).status_code == 200
    wait_for(lambda: api.uptime().status_code == 200, 5, "/uptime healthy again")
    assert api.uptime().json()["STORE"]["healthy"] is True
    # The other workers too (each closes its circuit on its own probe), so that
    # the next test's new connections meet a registry that has fully recovered.
    wait_every_worker_healthy(registry, RECOVER_WITHIN)


def test_stopped_redis_is_503_and_a_restart_keeps_every_instance(
    api, registry, redis_store
):
    service = unique("restart")
    ids = {api.register_ok(service, f"10.0.0.{n}:80", ttl=300) for n in range(5)}
    assert registry.process is not None

    redis_store.stop()
    assert_unavailable_everywhere(api, service, sorted(ids)[0])
    time.sleep(0.5)  # the sweeps of both workers fail meanwhile
    assert_unavailable_everywhere(api, service, sorted(ids)[0])
    assert registry.process.poll() is None, registry.log

    redis_store.start()  # same port, same directory: the append-only file
    assert_serves_again(api, registry, service, ids)
    assert registry.process.poll() is None


def test_unresponsive_redis_is_503_within_the_store_timeout(api, registry, redis_store):
    """A Redis that accepts connections but never answers (SIGSTOP): requests must
    not hang much longer than the timeout (one client, one keep-alive connection)."""
    service = unique("paused")
    ids = {api.register_ok(service, f"10.0.0.{n}:80", ttl=300) for n in range(3)}
    assert registry.process is not None

    def busy(index: int) -> None:
        with Api(registry) as client:
            for _ in range(10):
                assert client.serves(service)

    # A registry that has been serving several clients at once (the next test has
    # one whose worker meets the hang with no connection made yet).
    run_threads(busy, 6)

    pause(redis_store)
    try:
        assert_unavailable_everywhere(api, service, sorted(ids)[0], every=False)
        assert registry.process.poll() is None, registry.log
    finally:
        resume(redis_store)
    assert_serves_again(api, registry, service, ids)


def test_registrations_during_an_outage_are_not_half_done(api, registry, redis_store):
    """A registration that got 503 while Redis was stopped left nothing behind."""
    service = unique("half")
    kept = api.register_ok(service, "10.0.0.1:80", ttl=300)
    redis_store.stop()
    assert_store_unavailable(api.register(service, "10.0.0.2:80", ttl=300))
    assert_store_unavailable(api.deregister(kept))
    redis_store.start()
    wait_for(lambda: api.serves(service), RECOVER_WITHIN, "requests succeed again")
    assert api.ids(service) == {kept}
    response = api.get(f"/api/v1/services/{service}")
    assert response.status_code == 200, response.text
    assert [i["id"] for i in response.json()["instances"]] == [kept]


def test_a_registry_started_during_a_redis_hang_answers_within_the_timeout(
    stack, redis_store
):
    """Started while Redis accepts connections but never answers (SIGSTOP): every
    request gets its 503 after about ``store_timeout`` (the documented "at most this
    long", plus slack), and the registry serves once Redis is back."""
    pause(redis_store)
    try:
        late = stack.registry(
            *store_flags(redis_store), "--store_timeout", "1s", "--workers", "1"
        )
        with Api(late) as api:
            for what, call in {
                "services": lambda: api.get("/api/v1/services"),
                "register": lambda: api.register(unique("late"), ttl=300),
                "uptime": api.uptime,
            }.items():
                response, elapsed = timed(call)
                assert response.status_code == 503, (what, response.text)
                assert elapsed < STORE_TIMEOUT + 0.5, f"{what}: {elapsed:.2f}s"
    finally:
        resume(redis_store)
    with Api(late) as api:
        wait_for(api.serves, RECOVER_WITHIN, "requests succeed again")
