"""Deadlines of the body reads in flight on one event loop, kept by one timer.

``asyncio.timeout`` around each body read arms and cancels a timer per request:
measured on a registration under granian, about 10 µs of the worker's CPU with 16
connections and 25 µs with one (bench/README.md). A body that is late is rare; so
the reads in flight are kept in a dict with their deadlines, and one periodic sweep
(only while reads are in flight) cancels the task of any read past its deadline.
A read is cut between its deadline and one :attr:`BodyDeadlines.interval` later.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: The sweep's period for long timeouts; shorter timeouts are swept four times
#: per timeout (so a read is cut within 1.25 times its timeout).
SWEEP_SECONDS = 1.0
#: The shortest sweep period (timeouts this short are for tests).
MIN_SWEEP_SECONDS = 0.01


class BodyDeadlines:
    """The body reads of one event loop at a time and when each must have ended.

    Usage, on the loop, around the awaits of one read::

        deadlines.begin(task)
        try:
            ...  # await the body
        except asyncio.CancelledError:
            if not deadlines.cut(task):
                raise  # cancelled by someone else
            ...  # the read was late
        finally:
            deadlines.end(task)
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.interval = max(MIN_SWEEP_SECONDS, min(SWEEP_SECONDS, timeout / 4))
        self._reads: dict[asyncio.Task[Any], float] = {}
        self._cut: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweep_handle: asyncio.TimerHandle | None = None

    def begin(self, task: asyncio.Task[Any]) -> None:
        """``task`` starts reading a body now (call it on the task's loop)."""
        loop = task.get_loop()
        if self._loop is not loop:  # a new loop (tests run one per test)
            self._reads = {t: d for t, d in self._reads.items() if t.get_loop() is loop}
            self._loop, self._sweep_handle = loop, None
        self._reads[task] = loop.time() + self.timeout
        if self._sweep_handle is None:
            self._sweep_handle = loop.call_later(self.interval, self._sweep)

    def cut(self, task: asyncio.Task[Any]) -> bool:
        """Whether the sweep cancelled ``task`` (then the cancellation is taken
        back: the task goes on to answer 408)."""
        if task not in self._cut:
            return False
        self._cut.discard(task)
        task.uncancel()
        return True

    def end(self, task: asyncio.Task[Any]) -> None:
        """``task`` is done with its body, however it ended.

        The sweep runs only while the task waits inside its read, so a task it
        cancels gets the cancellation there, before this.
        """
        self._reads.pop(task, None)

    def _sweep(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        late = [task for task, deadline in self._reads.items() if deadline <= now]
        for task in late:
            del self._reads[task]
            self._cut.add(task)
            task.cancel()
        self._sweep_handle = (
            loop.call_later(self.interval, self._sweep) if self._reads else None
        )
