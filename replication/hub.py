"""The outgoing side of replication: a ring of published events and its readers.

Every local write is framed once as a ``REP`` event with the next id (the
original's per-node counter, from 1) and put in a fixed-size ring. Each peer
reading ``/v1/replication`` holds a :class:`Subscription`: a cursor into the
ring, plus a small queue of ``REPAIR`` events addressed to it alone.

* A write never waits for a peer: publishing is an append under one lock.
* A peer's send queue is the stretch of ring between its cursor and the head,
  bounded by the ring size. Its writer thread blocks on the socket when the
  peer reads slowly (TCP backpressure). A peer that falls a whole ring behind
  is disconnected and its missed events counted as dropped; it reconnects and
  gets a snapshot instead.
* A peer that reconnects with ``Last-Event-ID`` of this ring's epoch (our
  ``X-A8-Stream`` header) gets the events it missed again (replayed); a member
  that reads this ring for the first time gets all of it (writes we took before
  it connected); a joining node gets a snapshot of the whole state.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

from replication.state import ReplicationState
from replication.wire import frame

#: Events the ring keeps (the longest replayable gap).
RING_SIZE: Final = 65_536
#: REPAIR events waiting for one peer at most; more are dropped (counted).
REPAIR_QUEUE_LIMIT: Final = 4_096
#: How long after its start a node replays its whole ring to a member reading it
#: for the first time (after that, such a member gets a snapshot).
FRESH_EPOCH: Final = 60.0
#: Events handed to a writer at once.
BATCH: Final = 1_024

Mode = Literal["live", "replay", "snapshot"]
#: The epoch a joining node asks with: it holds nothing yet.
SNAPSHOT: Final = "snapshot"


@dataclass(eq=False)
class Subscription:
    """One peer's read position; ``closed`` once replaced, dropped or stopped."""

    member: str
    cursor: int
    repairs: deque[bytes] = field(default_factory=deque)
    closed: bool = False


class Hub:
    """The ring of outgoing events and the peers reading it."""

    def __init__(
        self,
        state: ReplicationState,
        size: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: Names this ring: ids are only replayable within one epoch (a restarted
        #: node starts again from 1).
        self.epoch = uuid.uuid4().hex[:16]
        self._state = state
        self._clock = clock
        self._started = clock()
        self._size = size = size or RING_SIZE
        self._frames: list[bytes] = [b""] * size
        self._head = 0
        self._cond = threading.Condition()
        self._subscriptions: dict[str, Subscription] = {}
        self._stopped = False
        state.queue_depths = self.queue_depths

    @property
    def head(self) -> int:
        """The id of the latest event (0 before the first)."""
        return self._head

    def publish(self, data: bytes) -> None:
        """Append one REP event carrying ``data``; wake the writers."""
        with self._cond:
            self._head += 1
            head = self._head
            self._frames[head % self._size] = frame("REP", data, str(head))
            self._cond.notify_all()
        self._state.published += 1

    def subscribe(
        self, member: str, last_id: int | None, epoch: str | None
    ) -> tuple[Subscription, Mode]:
        """Start (or restart) ``member``'s stream and say how it begins.

        ``epoch`` is ``None`` for a reader of the original's protocol: live events
        only, as the original does. :data:`SNAPSHOT` is a joining node's: the whole
        state first. Any other is a member's that holds state: it gets the events
        after ``last_id`` of this epoch, or, while this epoch is younger than
        :data:`FRESH_EPOCH`, every event of it when it has not read it yet (it may
        have missed writes we took before it connected), while the ring still
        holds them (replay); else a snapshot first. A
        previous subscription of the same member is closed (the newer wins).
        """
        with self._cond:
            previous = self._subscriptions.get(member)
            if previous is not None:
                previous.closed = True
            head = self._head
            ours = epoch == self.epoch and last_id is not None
            start = last_id if ours and last_id is not None else 0
            # Every event of the epoch only while it is young: the reader missed
            # writes we took before it connected. Older history would replay
            # registrations and deregistrations since superseded elsewhere.
            young = self._clock() - self._started <= FRESH_EPOCH
            mode: Mode
            if epoch is None:
                cursor, mode = head, "live"
            elif (
                epoch != SNAPSHOT
                and (ours or young)
                and head - self._size <= start <= head
            ):
                cursor, mode = start, "replay"
                self._state.replayed += head - start
            else:
                cursor, mode = head, "snapshot"
            subscription = Subscription(member, cursor)
            self._subscriptions[member] = subscription
            self._cond.notify_all()
        return subscription, mode

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._cond:
            subscription.closed = True
            if self._subscriptions.get(subscription.member) is subscription:
                del self._subscriptions[subscription.member]

    def next_batch(
        self, subscription: Subscription, timeout: float
    ) -> list[bytes] | None:
        """The frames ``subscription`` has not had yet (REPAIRs first), waiting up
        to ``timeout`` for some: an empty list when none came, ``None`` when the
        stream must end (replaced, stopped, or a whole ring behind)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (
                not subscription.closed
                and not self._stopped
                and subscription.cursor == self._head
                and not subscription.repairs
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)
            if subscription.closed or self._stopped:
                return None
            batch = list(subscription.repairs)
            subscription.repairs.clear()
            head = self._head
            if head - subscription.cursor > self._size:
                self._state.dropped += head - self._size - subscription.cursor
                subscription.closed = True
                self._subscriptions.pop(subscription.member, None)
                return None
            end = min(head, subscription.cursor + BATCH)
            size = self._size
            batch.extend(
                self._frames[i % size] for i in range(subscription.cursor + 1, end + 1)
            )
            subscription.cursor = end
            return batch

    def send_repair(self, member: str, data: bytes) -> bool:
        """Queue a REPAIR event (id 0) for ``member`` alone; ``False`` (counted as
        dropped) when it has no stream here or its queue is full."""
        with self._cond:
            subscription = self._subscriptions.get(member)
            if subscription is None or len(subscription.repairs) >= REPAIR_QUEUE_LIMIT:
                self._state.dropped += 1
                return False
            subscription.repairs.append(frame("REPAIR", data, "0"))
            self._cond.notify_all()
        return True

    def disconnect(self, member: str) -> None:
        """End ``member``'s stream (it reconnects and catches up)."""
        with self._cond:
            subscription = self._subscriptions.pop(member, None)
            if subscription is not None:
                subscription.closed = True
                self._cond.notify_all()

    def queue_depths(self) -> dict[str, int]:
        """Member -> events between its cursor and the head."""
        head = self._head
        return {
            member: head - subscription.cursor
            for member, subscription in list(self._subscriptions.items())
        }

    def stop(self) -> None:
        """End every stream."""
        with self._cond:
            self._stopped = True
            for subscription in self._subscriptions.values():
                subscription.closed = True
            self._subscriptions.clear()
            self._cond.notify_all()
