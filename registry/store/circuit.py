"""Failing fast while the store is down (a circuit breaker), shared by a Redis
backend and its catalogs.

Closed (the store answers): calls go through. A call that finds the store
unreachable opens the circuit and is refused, as it is today, after about
``store_timeout``. Open: every call is refused at once with
:class:`StoreUnavailableError` (503), so requests do not queue behind threads
blocked on a dead store and the liveness endpoint, which needs no store, stays
instant. The probe, a background service, pings the store: while the circuit is
closed with a short deadline (:data:`QUICK_CHECK_SECONDS`), so a store that hangs
opens it within a second even before a request times out; while it is open until
the store answers again, which closes it. The probe is the only caller the open
circuit lets through (the Redis backend gives it a connection of its own).
Opening it also runs ``on_trip`` (the Redis backend drops its connections, waking
the requests blocked on them).

The outage is logged twice: once when it starts, and once when it ends, with how
long it lasted and how many calls were refused meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

from registry.store.errors import StoreUnavailableError

logger = logging.getLogger("registry.store")

#: How often the probe asks the store whether it answers.
PROBE_INTERVAL_SECONDS = 0.25
#: How long a healthy store may take to answer the probe's ping.
QUICK_CHECK_SECONDS = 0.5


class StoreCircuit:
    """See the module docstring. ``unavailable`` are the client's exceptions that
    mean "the store is not there"; ``ping`` asks the store whether it answers (the
    Redis backend's answers within :data:`QUICK_CHECK_SECONDS`); ``on_trip`` runs
    when the circuit opens."""

    def __init__(
        self,
        unavailable: tuple[type[BaseException], ...],
        ping: Callable[[], object] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        on_trip: Callable[[], object] = lambda: None,
    ) -> None:
        self._unavailable = unavailable
        #: What a ping may raise while the store is still down.
        self._still_down: tuple[type[BaseException], ...] = (
            *unavailable,
            StoreUnavailableError,
        )
        self._ping = ping
        self._on_trip = on_trip
        self._clock = clock
        self._lock = threading.Lock()
        self._open = False
        self._reason = ""
        self._since = 0.0
        self._refused = 0
        self._guard = CircuitGuard(self)

    def attach(self, ping: Callable[[], object], on_trip: Callable[[], object]) -> None:
        """Give the circuit its store (made after the circuit, which the store's
        client needs: see ``redis_connection.CircuitBackoff``)."""
        self._ping, self._on_trip = ping, on_trip

    @property
    def is_open(self) -> bool:
        """Whether the store is known to be down."""
        return self._open

    @property
    def reason(self) -> str:
        return self._reason

    def guard(self) -> CircuitGuard:
        """Run a store call: refused at once while open; opens on unavailability.

        ``with circuit.guard(): ...``; the guard keeps no state of its own, so one
        object serves every call, on every thread.
        """
        return self._guard

    def trip(self, reason: str) -> None:
        """Open the circuit (the store did not answer)."""
        with self._lock:
            if self._open:
                return
            self._open, self._reason = True, reason
            self._since, self._refused = self._clock(), 0
        logger.warning(
            "store unavailable: %s; refusing store requests at once until it "
            "answers again",
            reason,
        )
        try:
            self._on_trip()
        except Exception:  # the circuit is open whatever the clean-up does
            logger.exception("dropping the store's connections failed")

    def probe(self) -> None:
        """Ping the store (the probe service's work, and ``/uptime``'s): open the
        circuit when it does not answer, close it when it answers again."""
        try:
            self._ping()
        except self._still_down as err:
            if not self._open:
                self.trip(str(err))
            return
        if not self._open:
            return
        with self._lock:
            if not self._open:
                return
            self._open = False
            lasted, refused = self._clock() - self._since, self._refused
        logger.warning(
            "store available again after %.1f s; %d requests refused meanwhile",
            lasted,
            refused,
        )


class CircuitGuard:
    """The context manager of :meth:`StoreCircuit.guard` (a class, not a
    generator: entered on every store call, it costs a third as much)."""

    __slots__ = ("_circuit",)

    def __init__(self, circuit: StoreCircuit) -> None:
        self._circuit = circuit

    def __enter__(self) -> None:
        circuit = self._circuit
        if circuit._open:
            circuit._refused += 1  # a statistic: a lost increment is harmless
            raise StoreUnavailableError(circuit._reason)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None and isinstance(error, self._circuit._unavailable):
            self._circuit.trip(str(error))
            raise StoreUnavailableError(str(error)) from error
