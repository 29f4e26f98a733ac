"""Deferred tallies: folded, they show exactly what direct observations would."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram

from metrics.instruments import LATENCY_BUCKETS
from metrics.tally import Tallies, TallyFolder

# On a bound, between bounds, past the last one (+Inf), and zero.
AMOUNTS = [0.0005, 0.0007, 0.001, 0.0, 0.3, 5.0, 7.5, 0.00049, 2.5, 0.0001]


def histogram(registry: CollectorRegistry, name: str) -> Histogram:
    return Histogram(name, name, buckets=LATENCY_BUCKETS, registry=registry)


def test_a_folded_histogram_equals_one_observed_directly():
    registry = CollectorRegistry()
    direct, deferred = histogram(registry, "direct"), histogram(registry, "deferred")
    tallies = Tallies()
    observe = tallies.histogram(deferred)
    for amount in AMOUNTS:
        direct.observe(amount)
        observe(amount)
    assert registry.get_sample_value("deferred_count") == 0  # not folded yet
    tallies.fold()
    tallies.fold()  # nothing more: adds nothing
    for bound in [*LATENCY_BUCKETS, float("inf")]:
        le = "+Inf" if bound == float("inf") else str(bound)
        expected = registry.get_sample_value("direct_bucket", {"le": le})
        assert registry.get_sample_value("deferred_bucket", {"le": le}) == expected
    assert registry.get_sample_value("deferred_count") == len(AMOUNTS)
    assert registry.get_sample_value("deferred_sum") == sum(AMOUNTS)


def test_a_counter_counts_every_tick_across_folds_and_threads():
    registry = CollectorRegistry()
    counter = Counter("beats", "beats", registry=registry)
    tallies = Tallies()
    tick = tallies.counter(counter)
    assert tallies.counter(counter) == tick  # one tally per metric child

    def beat() -> None:
        for _ in range(20_000):
            tick()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(50):  # folds racing the ticks lose none, count none twice
        tallies.fold()
    for thread in threads:
        thread.join()
    tallies.fold()
    assert registry.get_sample_value("beats_total") == 80_000
    tick()
    tallies.fold()
    assert registry.get_sample_value("beats_total") == 80_001


def test_the_folder_service_folds_on_its_own_and_when_it_stops():
    registry = CollectorRegistry()
    counter = Counter("beats", "beats", registry=registry)
    tallies = Tallies()
    tick = tallies.counter(counter)
    folder = TallyFolder(tallies, interval=0.01)
    folder.start()
    try:
        tick()
        folded = threading.Event()
        for _ in range(500):
            if registry.get_sample_value("beats_total") == 1:
                folded.set()
                break
            folded.wait(0.01)
        assert folded.is_set()
        tick()
    finally:
        folder.stop()
    assert registry.get_sample_value("beats_total") == 2
