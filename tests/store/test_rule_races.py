"""Eureka's conflict rule holds under racing writers, on both stores.

The rule runs inside the store's atomic step (eureka_compat.rules), so two
writers that register the same instance at once, or a registration racing a
cancel, can never let an older copy replace a newer one or fail half-way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import orjson
import pytest

from eureka_compat.instances import last_dirty_ms, parse_registration
from eureka_compat.rules import EurekaRegistrationRule
from registry.store.base import Catalog
from registry.store.clock import SystemClock
from registry.store.errors import InstanceNotFoundError
from registry.store.memory import InMemoryCatalog
from registry.store.records import InstanceRegistration
from registry.store.redis_store import RedisCatalog, RedisScripts
from registry.store.rules import RegistrationRules

RULES = RegistrationRules([EurekaRegistrationRule()])
ROUNDS = 300


def eureka_registration(dirty_ms: int, marker: str) -> InstanceRegistration:
    document = {
        "instance": {
            "instanceId": "i-1",
            "hostName": "h1",
            "app": "RACE",
            "ipAddr": "10.0.0.1",
            "status": "UP",
            "dataCenterInfo": {"name": "MyOwn"},
            "metadata": {"writer": marker},
            "lastDirtyTimestamp": str(dirty_ms),
        }
    }
    return parse_registration(document, "RACE", lambda ttl: ttl, 1_000).registration


@pytest.fixture(params=["memory", "redis-two-clients"])
def catalogs(request: pytest.FixtureRequest) -> Iterator[tuple[Catalog, Catalog]]:
    """Two handles on one namespace: the same object in memory; two clients
    with their own connections on Redis, as two registry processes have."""
    clock = SystemClock()
    if request.param == "memory":
        catalog = InMemoryCatalog(clock, rules=RULES)
        yield catalog, catalog
        return
    server = request.getfixturevalue("redis_server")
    server.client().flushall()
    handles = []
    for _ in range(2):
        client = server.client()
        handles.append(
            RedisCatalog(client, RedisScripts(client), "race", clock, rules=RULES)
        )
    yield handles[0], handles[1]


def run_threads(*targets: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as err:  # reported by the test
                errors.append(err)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_an_older_registration_never_replaces_a_newer_one(
    catalogs: tuple[Catalog, Catalog],
):
    first, second = catalogs
    newer = eureka_registration(2_000, "new")
    older = eureka_registration(1_000, "old")
    first.register(newer)
    seen: list[int] = []

    def register_newer() -> None:
        for _ in range(ROUNDS):
            first.register(newer)

    def register_older() -> None:
        for _ in range(ROUNDS):
            kept = second.register(older)
            assert last_dirty_ms(kept) == 2_000  # the stored copy was kept

    def observe() -> None:
        for _ in range(ROUNDS):
            seen.append(last_dirty_ms(second.get_instance(newer.id)))

    assert run_threads(register_newer, register_older, observe) == []
    assert set(seen) == {2_000}
    stored = first.get_instance(newer.id)
    assert stored.metadata == b'{"writer":"new"}'
    assert [i.id for i in second.list_instances("RACE")] == [newer.id]


def test_a_stale_registration_racing_a_cancel_is_one_write_or_the_other(
    catalogs: tuple[Catalog, Catalog],
):
    first, second = catalogs
    newer = eureka_registration(2_000, "new")
    older = eureka_registration(1_000, "old")
    outcomes: list[str] = []

    def cancel_and_register() -> None:
        for _ in range(ROUNDS):
            with contextlib.suppress(InstanceNotFoundError):  # lost the turn
                first.deregister(newer.id)
            first.register(newer)

    def register_stale() -> None:
        for _ in range(ROUNDS):
            stored = second.register(older)  # never raises: keep or replace
            outcomes.append(orjson.loads(stored.metadata or b"{}")["writer"])

    assert run_threads(cancel_and_register, register_stale) == []
    assert set(outcomes) <= {"new", "old"}
    assert len(outcomes) == ROUNDS
    # Consistent afterwards: one record, listed once, under its service.
    stored = second.get_instance(newer.id)
    assert [i.id for i in first.list_instances("RACE")] == [stored.id]
    assert first.list_services() == ["RACE"]
