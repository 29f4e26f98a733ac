"""The per-instance element cache behind listings and Eureka documents."""

from __future__ import annotations

import dataclasses

from registry.http.fragments import ElementCache
from registry.store.records import Endpoint, ServiceInstance


def record(n: int, status: str = "UP") -> ServiceInstance:
    return ServiceInstance(
        id=f"id-{n}",
        service_name="s",
        endpoint=Endpoint("tcp", f"h:{n}"),
        status=status,
        ttl=30,
        metadata=None,
        tags=(),
        registration_ns=1,
        last_renewal_ns=1,
    )


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, key, instance: ServiceInstance) -> bytes:
        self.calls += 1
        return f"{instance.id}:{instance.status}".encode()


def test_only_changed_records_are_encoded_again():
    cache, encode = ElementCache(), Counting()
    records = [record(n) for n in range(10)]
    first = cache.encode_all("ns", ((r.id, r) for r in records), encode)
    assert encode.calls == 10
    again = cache.encode_all("ns", ((r.id, r) for r in records), encode)
    assert encode.calls == 10
    assert all(a is b for a, b in zip(first, again, strict=True))
    records[3] = dataclasses.replace(records[3], status="DOWN")
    after = cache.encode_all("ns", ((r.id, r) for r in records), encode)
    assert encode.calls == 11
    assert after[3] == b"id-3:DOWN"


def test_an_equal_record_from_another_read_is_reused():
    cache, encode = ElementCache(), Counting()
    cache.encode_all("ns", [("a", record(1))], encode)
    cache.encode_all("ns", [("a", dataclasses.replace(record(1)))], encode)
    assert encode.calls == 1


def test_scopes_never_share_elements():
    cache, encode = ElementCache(), Counting()
    cache.encode_all("a", [("x", record(1))], encode)
    cache.encode_all("b", [("x", record(1))], encode)
    assert encode.calls == 2


def test_elements_idle_for_ten_minutes_are_dropped():
    now = [0.0]
    cache, encode = ElementCache(clock=lambda: now[0]), Counting()
    # Instances replaced by new ids again and again (pods with new IPs), one
    # generation a minute: only the last ten minutes' elements stay.
    for generation in range(60):
        live = [record(generation * 50 + n) for n in range(50)]
        cache.encode_all("ns", ((r.id, r) for r in live), encode)
        now[0] += 61
        assert cache.size("ns") <= 50 * 11
    # A listing read all along keeps its elements warm.
    steady = [record(-n) for n in range(1, 4)]
    for _ in range(30):
        cache.encode_all("steady", ((r.id, r) for r in steady), encode)
        now[0] += 61
    calls = encode.calls
    cache.encode_all("steady", ((r.id, r) for r in steady), encode)
    assert encode.calls == calls
