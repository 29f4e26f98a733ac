"""RequestThreads (registry/http/request_threads.py): the RSGI front's hand-off."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from registry.http.request_threads import RequestThreads


def test_calls_run_on_the_threads_and_their_results_reach_the_loop():
    threads = RequestThreads(2, "test-request")

    async def main() -> list[tuple[int, str]]:
        def work(n: int) -> tuple[int, str]:
            time.sleep(0.01)
            return n * n, threading.current_thread().name

        return await asyncio.gather(*(threads.run(work, n) for n in range(8)))

    try:
        results = asyncio.run(main())
    finally:
        threads.close()
    assert [square for square, _ in results] == [n * n for n in range(8)]
    names = {name for _, name in results}
    assert names <= {"test-request_0", "test-request_1"}
    assert threading.current_thread().name not in names


def test_an_exception_reaches_the_awaiting_request_and_the_thread_goes_on():
    threads = RequestThreads(1, "test-request")

    def fail(message: str) -> None:
        raise LookupError(message)

    async def main() -> str:
        with pytest.raises(LookupError, match="no such"):
            await threads.run(fail, "no such")
        return await threads.run(str.upper, "still serving")

    try:
        assert asyncio.run(main()) == "STILL SERVING"
    finally:
        threads.close()


def test_a_cancelled_request_does_not_break_the_thread():
    threads = RequestThreads(1, "test-request")
    release = threading.Event()

    async def main() -> str:
        slow = asyncio.ensure_future(threads.run(lambda _: release.wait(5), None))
        await asyncio.sleep(0.01)
        slow.cancel()  # the client went away while its request ran
        release.set()
        return await threads.run(str.lower, "NEXT")

    try:
        assert asyncio.run(main()) == "next"
    finally:
        threads.close()


def test_close_waits_for_the_calls_already_queued():
    threads = RequestThreads(1, "test-request")
    done: list[int] = []
    started = threading.Event()

    def work(n: int) -> None:
        started.set()
        time.sleep(0.05)
        done.append(n)

    loop = asyncio.new_event_loop()

    async def submit() -> None:
        threads.run(work, 1)
        threads.run(work, 2)

    loop.run_until_complete(submit())
    started.wait(5)
    threads.close()  # the loop never awaits them: they run all the same
    loop.close()
    assert done == [1, 2]
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(_run_one(threads))


async def _run_one(threads: RequestThreads) -> object:
    return await threads.run(str, 1)


def test_a_result_for_a_closed_loop_is_dropped_and_the_thread_serves_on():
    threads = RequestThreads(1, "test-request")
    release = threading.Event()
    loop = asyncio.new_event_loop()

    async def submit() -> None:
        threads.run(lambda _: release.wait(5), None)

    loop.run_until_complete(submit())
    loop.close()
    release.set()  # the thread now hands its result to a closed loop

    async def next_request() -> object:
        return await asyncio.wait_for(threads.run(str, 1), timeout=2)

    try:
        assert asyncio.run(next_request()) == "1"  # the one thread is still there
    finally:
        threads.close()


def test_at_least_one_thread():
    with pytest.raises(ValueError, match="at least one"):
        RequestThreads(0, "test-request")
