"""Observations on the hottest paths, kept aside and folded into metrics in bulk.

A heartbeat is so cheap that a prometheus-client observation (a label-bound
histogram's ``observe``: two locked increments and its checks, about 1 µs) is a
visible share of it. On the paths every heartbeat takes (the request histogram,
the store's ``renew``), a :class:`DeferredHistogram` appends the value to a deque
(about 40 ns, atomic under the GIL) and a :class:`DeferredCounter` takes a
number from an ``itertools.count`` (atomic too); :meth:`Tallies.fold` adds what
accumulated to the real metrics, one increment per bucket touched. The scrape
folds first, so what it shows is exact; the runtime's :class:`TallyFolder`
service folds every second too, so that nothing accumulates without a scrape.

Under several worker processes (prometheus-client's multiprocess mode) a scrape
reads every worker's files, and only its own worker can fold: there the tallies
are not deferred at all (``observe`` and ``tick`` are the metric's own methods),
so every scrape stays exact.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from prometheus_client import Counter, Histogram

from metrics.multiprocess import is_multiprocess
from registry.services import ServiceThread

#: How often :class:`TallyFolder` folds (bounds what waits, and its memory).
FOLD_INTERVAL: Final = 1.0


class DeferredHistogram:
    """One histogram child whose observations wait in a deque until folded."""

    __slots__ = ("_bounds", "_child", "_pending", "observe")

    def __init__(self, child: Histogram) -> None:
        self._child: Any = child  # its value holders are prometheus-client's
        self._bounds: list[float] = list(self._child._upper_bounds)
        self._pending: deque[float] = deque()
        self.observe: Callable[[float], None] = self._pending.append

    def fold(self) -> None:
        pending = self._pending
        waiting = len(pending)
        if not waiting:
            return
        buckets = [0] * len(self._bounds)
        total = 0.0
        bounds = self._bounds
        for _ in range(waiting):  # popleft: appends racing this fold stay queued
            amount = pending.popleft()
            total += amount
            buckets[bisect_left(bounds, amount)] += 1  # the first bound >= amount
        self._child._sum.inc(total)
        for index, count in enumerate(buckets):
            if count:
                self._child._buckets[index].inc(count)


class DeferredCounter:
    """One counter child incremented by one at a time, folded later."""

    __slots__ = ("_child", "_folded", "_ticks", "tick")

    def __init__(self, child: Counter) -> None:
        self._child = child
        self._ticks = itertools.count()
        #: Numbers taken from ``_ticks`` already counted (folds take one each).
        self._folded = 0
        self.tick: Callable[[], object] = self._ticks.__next__

    def fold(self) -> None:
        taken = next(self._ticks)  # how many numbers were taken before this one
        ticks = taken - self._folded
        self._folded = taken + 1
        if ticks:
            self._child.inc(ticks)


class Tallies:
    """Every deferred metric of one runtime's instruments."""

    def __init__(self) -> None:
        #: By the child they fold into (each holds its child: the id stays its).
        self._deferred: dict[int, DeferredHistogram | DeferredCounter] = {}
        self._lock = threading.Lock()
        self._immediate = is_multiprocess()

    def histogram(self, child: Histogram) -> Callable[[float], None]:
        """The ``observe`` to call for ``child`` on a hot path."""
        if self._immediate:
            return child.observe
        with self._lock:
            deferred = self._deferred.get(id(child))
            if not isinstance(deferred, DeferredHistogram):
                deferred = self._deferred[id(child)] = DeferredHistogram(child)
        return deferred.observe

    def counter(self, child: Counter) -> Callable[[], object]:
        """A function that counts one more on ``child``, for a hot path."""
        if self._immediate:
            return child.inc
        with self._lock:
            deferred = self._deferred.get(id(child))
            if not isinstance(deferred, DeferredCounter):
                deferred = self._deferred[id(child)] = DeferredCounter(child)
        return deferred.tick

    def fold(self) -> None:
        """Add everything that waits to the metrics (one fold at a time)."""
        with self._lock:
            for deferred in self._deferred.values():
                deferred.fold()


class TallyFolder(ServiceThread):
    """The background service that folds a runtime's tallies every second."""

    name = "metrics-tallies"
    join_seconds = 2.0

    def __init__(self, tallies: Tallies, interval: float = FOLD_INTERVAL) -> None:
        super().__init__()
        self._tallies = tallies
        self._interval = interval

    def stop(self) -> None:
        super().stop()
        self._tallies.fold()

    def run(self) -> None:
        while not self._stop.wait(self._interval):
            self._tallies.fold()
