"""Many clients at once against two registry processes (two workers each) on one
Redis: nothing acknowledged is lost, and no live instance is reported gone."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.support import RegistryServer, unique
from tests.redis.support import Api, Stack, run_threads, store_flags
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

THREADS = 8
DURATION = 3.0


@pytest.fixture(scope="module")
def pair(stack: Stack) -> list[RegistryServer]:
    redis_store: RedisServer = stack.redis()
    flags = [*store_flags(redis_store), "--workers", "2"]
    return stack.registries_at_once(flags, flags)


@pytest.fixture
def apis(pair) -> Iterator[list[Api]]:
    with Api(pair[0]) as a, Api(pair[1]) as b:
        yield [a, b]


def test_concurrent_registrations_and_heartbeats_lose_nothing(pair, apis):
    """Each thread registers new instances on one process and renews its recent ones
    on the other, reading its own writes back through the other, for a few seconds.
    """
    service = unique("busy")
    start = threading.Barrier(THREADS)

    def client(index: int) -> tuple[set[str], list[str]]:
        acknowledged: set[str] = set()
        recent: list[str] = []
        problems: list[str] = []
        with Api(pair[0]) as a, Api(pair[1]) as b:
            start.wait(timeout=30)
            deadline = time.monotonic() + DURATION
            number = 0
            while time.monotonic() < deadline:
                number += 1
                here, there = (a, b) if (index + number) % 2 else (b, a)
                response = here.register(service, f"10.{index}.{number}.1:80", ttl=30)
                if response.status_code != 201:
                    problems.append(f"register: {response.status_code} {response.text}")
                    continue
                instance_id = response.json()["id"]
                acknowledged.add(instance_id)
                recent = [instance_id, *recent[:3]]
                for renewed in recent:
                    beat = there.heartbeat(renewed)
                    if beat.status_code != 200:
                        problems.append(f"heartbeat {renewed}: {beat.status_code}")
                seen = there.instances(service_name=service, fields="")
                missing = set(recent) - {i["id"] for i in seen}
                if missing:
                    problems.append(f"not listed right after 201: {missing}")
        return acknowledged, problems

    results = run_threads(client, THREADS)
    problems = [problem for _, found in results for problem in found]
    assert problems == []
    acknowledged = set().union(*(ids for ids, _ in results))
    assert len(acknowledged) >= THREADS * 5  # it did run concurrently for a while
    a, b = apis
    assert a.ids(service) == acknowledged
    assert b.ids(service) == acknowledged
    assert Counter(i["status"] for i in a.instances(service_name=service)) == {
        "UP": len(acknowledged)
    }


def test_concurrent_upserts_of_one_instance_keep_one_record(pair, apis):
    """The same service and endpoint registered 160 times from both processes is one
    instance; removing it once leaves neither the instance nor the service name."""
    service = unique("upsert")
    start = threading.Barrier(THREADS)

    def client(index: int) -> list[str]:
        ids = []
        with Api(pair[0]) as a, Api(pair[1]) as b:
            start.wait(timeout=30)
            for number in range(20):
                api = (a, b)[(index + number) % 2]
                ids.append(api.register_ok(service, "10.0.0.1:80", ttl=30))
        return ids

    ids = {
        instance_id for found in run_threads(client, THREADS) for instance_id in found
    }
    assert len(ids) == 1
    [instance_id] = ids
    a, b = apis
    assert a.ids(service) == b.ids(service) == ids
    assert a.deregister(instance_id).status_code == 200
    assert b.deregister(instance_id).status_code == 410
    assert a.ids(service) == b.ids(service) == set()
    assert service not in a.services()
    assert service not in b.services()


def test_concurrent_deregistrations_one_wins(pair, apis):
    service = unique("race")
    a, b = apis
    ids = [a.register_ok(service, f"10.0.0.{n}:80", ttl=30) for n in range(5)]
    start = threading.Barrier(THREADS)

    def client(index: int) -> list[int]:
        with Api(pair[index % 2]) as api:
            start.wait(timeout=30)
            return [api.deregister(instance_id).status_code for instance_id in ids]

    results = run_threads(client, THREADS)
    for position in range(len(ids)):
        statuses = Counter(result[position] for result in results)
        assert statuses == {200: 1, 410: THREADS - 1}
    assert a.ids(service) == b.ids(service) == set()
    assert service not in b.services()
