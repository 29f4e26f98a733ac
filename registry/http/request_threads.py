"""The threads that run requests for an event loop (the RSGI front, Redis store).

``loop.run_in_executor`` on a :class:`~concurrent.futures.ThreadPoolExecutor` hands
a call over through two futures (the executor's, then an asyncio one chained to
it), a work item and the pool's idle-thread bookkeeping; on the Redis heartbeat
that was about a tenth of the worker's CPU per request. A request needs less: a
queue the threads take calls from, and one ``call_soon_threadsafe`` back to the
loop with the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
A = TypeVar("A")

_Job = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[Any], Any], Any
]


def _settle(
    future: asyncio.Future[Any], result: Any, error: BaseException | None
) -> None:
    if future.cancelled():
        return  # the request's task went away (the client, a shutdown)
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class RequestThreads:
    """``count`` daemon threads, started on first use, running ``function(arg)``."""

    def __init__(self, count: int, name: str) -> None:
        if count < 1:
            raise ValueError("at least one thread")
        self._count = count
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, function: Callable[[A], T], arg: A) -> asyncio.Future[T]:
        """``function(arg)`` on one of the threads; await the result on the loop."""
        if not self._threads:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, function, arg))
        return future

    def close(self) -> None:
        """Stop the threads once the calls already queued have run."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the request threads are closed")
            if self._threads:
                return
            for index in range(self._count):
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{index}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is None:
                return
            loop, future, function, arg = job
            error: BaseException | None = None
            result = None
            try:
                result = function(arg)
            except BaseException as raised:  # handed to the awaiting request
                error = raised
            # RuntimeError: the loop has closed (shutdown), nobody awaits this.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)
            del job, loop, future, function, arg, result, error
