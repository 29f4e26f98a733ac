"""The per-instance element cache behind listings and Eureka documents."""

from __future__ import annotations

import dataclasses
import gzip

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


def render(cache, scope, records, encode, complete):
    body = cache.body(scope, encode, complete)
    body.add(b"[")
    body.add_elements((r.id, r) for r in records)
    body.add(b"]")
    return body.build()


def test_a_complete_body_keeps_its_elements_as_spans_of_itself():
    cache, encode = ElementCache(), Counting()
    records = [record(n) for n in range(5)]
    first = render(cache, "ns", records, encode, complete=True)
    assert first == b"[id-0:UP,id-1:UP,id-2:UP,id-3:UP,id-4:UP]"
    assert encode.calls == 5
    # The cache holds no copies: every element is a span of the body.
    assert all(e.data is first for e in cache._scopes["ns"].entries.values())
    records[2] = dataclasses.replace(records[2], status="DOWN")
    second = render(cache, "ns", records, encode, complete=True)
    assert second == b"[id-0:UP,id-1:UP,id-2:DOWN,id-3:UP,id-4:UP]"
    assert encode.calls == 6
    assert all(e.data is second for e in cache._scopes["ns"].entries.values())
    # A part of the scope reads the spans and keeps the body unchanged.
    assert render(cache, "ns", records[1:3], encode, complete=False) == (
        b"[id-1:UP,id-2:DOWN]"
    )
    assert cache.encode_all("ns", [(records[4].id, records[4])], encode) == [b"id-4:UP"]
    assert encode.calls == 6


def test_a_complete_body_drops_the_elements_it_does_not_list():
    cache, encode = ElementCache(), Counting()
    render(cache, "ns", [record(n) for n in range(5)], encode, complete=True)
    render(cache, "ns", [record(9)], encode, complete=False)
    assert cache.size("ns") == 6
    render(cache, "ns", [record(n) for n in range(3)], encode, complete=True)
    assert cache.size("ns") == 3
    assert encode.calls == 6


def test_a_compressed_body_uses_cached_elements_and_keeps_none():
    cache, encode = ElementCache(), Counting()
    records = [record(n) for n in range(5)]
    render(cache, "ns", records[:2], encode, complete=False)  # kept: 2 elements
    assert (cache.size("ns"), encode.calls) == (2, 2)
    body = cache.body("ns", encode, complete=True, compressed=True)
    body.add(b"[")
    body.add_elements((r.id, r) for r in records)
    body.add(b"]")
    assert gzip.decompress(body.build()) == (
        b"[id-0:UP,id-1:UP,id-2:UP,id-3:UP,id-4:UP]"
    )
    # The two cached elements were reused; the three others were encoded, not kept,
    # and the body is no element's home.
    assert (cache.size("ns"), encode.calls) == (2, 5)
    assert all(e.span is None for e in cache._scopes["ns"].entries.values())
