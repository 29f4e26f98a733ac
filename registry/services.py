"""The core's background services (see :class:`registry.plugins.BackgroundService`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from registry.store.errors import StoreUnavailableError

logger = logging.getLogger(__name__)

#: How often expired instances are swept. Instances go within this long (plus the
#: sweep itself) after ``last_heartbeat + ttl``; the target is under one second.
SWEEP_INTERVAL_SECONDS = 0.2


class ServiceThread:
    """A background service whose work runs on one daemon thread.

    A subclass sets :attr:`name` and implements :meth:`run`, which returns once
    :attr:`_stop` is set (wait on it between steps). ``stop()`` sets it and waits
    for the thread :attr:`join_seconds` at most: a step blocked in I/O ends with
    its own timeout, on a daemon thread that cannot keep the process alive.
    """

    name: str
    join_seconds = 5.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread. Idempotent."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for the step in progress, briefly."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)
            self._thread = None

    def run(self) -> None:
        raise NotImplementedError


class PeriodicService(ServiceThread):
    """Runs ``work`` every ``interval`` seconds on a daemon thread until stopped.

    One failing pass is logged and the next one runs: the service must outlive a
    store outage or a bug met once.
    """

    def __init__(self, name: str, interval: float, work: Callable[[], object]) -> None:
        super().__init__()
        self.name = name
        self._interval = interval
        self._work = work

    def run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._work()
            except StoreUnavailableError as err:
                # The store's circuit logs the outage, once when it starts and once
                # when it ends; a line per pass would flood the log.
                logger.debug("%s skipped: store unavailable: %s", self.name, err)
            except Exception:
                logger.exception("%s failed", self.name)
