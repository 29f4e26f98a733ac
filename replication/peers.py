"""The streams this node reads: one :class:`PeerStream` per live peer (full mesh).

A stream connects to the peer's ``GET /v1/replication`` with our ``Member-ID``
and applies what arrives, in order, on its own thread. On failure it reconnects
after :data:`FIRST_RETRY` seconds, doubling up to :data:`MAX_RETRY` (the original:
3 s doubling without bound), and asks for what it missed:

* a peer of ours (it answers ``X-A8-Stream``) replays the events after our
  ``Last-Event-ID`` from its ring (all of them the first time we read it), or
  sends a snapshot ended by ``SYNCED`` (always, to a joining node);
* a peer of the original's protocol ignores ``Last-Event-ID``: we read its
  ``GET /v1/sync`` once connected and before its live events, so nothing it
  holds is missed.

A stream of ours carries a comment at least every second; silence for
:data:`READ_TIMEOUT` means the peer is gone (frozen, partitioned) and we reconnect.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import threading
import zlib
from collections.abc import Callable
from typing import Final

from replication.applier import Applier
from replication.hub import SNAPSHOT
from replication.members import Member
from replication.server import STREAM_HEADER
from replication.state import ReplicationState
from replication.wire import SseEvent, SseParser, WireError, parse_event_data

logger = logging.getLogger(__name__)

FIRST_RETRY: Final = 0.1
MAX_RETRY: Final = 3.0
READ_TIMEOUT: Final = 5.0
CONNECT_TIMEOUT: Final = 2.0


class PeerError(Exception):
    """A peer answered something other than an event stream."""


class PeerStream:
    """Reads one peer's replication stream until stopped."""

    def __init__(
        self,
        peer: Member,
        self_id: str,
        applier: Applier,
        state: ReplicationState,
        on_synced: Callable[[str], None],
        snapshot_first: bool = False,
        snapshot_lock: threading.Lock | None = None,
    ) -> None:
        """``snapshot_first``: this node is joining and holds nothing yet.
        ``snapshot_lock``: shared by a node's streams so that one full state is
        applied at a time (the first complete one lets the node serve sooner)."""
        self.peer = peer
        self._self_id = self_id
        self._applier = applier
        self._state = state
        self._on_synced = on_synced
        self._epoch = SNAPSHOT if snapshot_first else "none"
        self._last_id: int | None = None
        self._stop = threading.Event()
        self._connection: http.client.HTTPConnection | None = None
        self._thread: threading.Thread | None = None
        #: Connection attempts that failed (the node stops waiting for a sync
        #: from peers that all refuse).
        self.failures = 0
        self._reported: set[str] = set()
        self._snapshot_lock = snapshot_lock or threading.Lock()
        self._holding = False

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"replication-from-{self.peer.id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and wait briefly for the thread."""
        self._stop.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._state.forget_peer(self.peer.id)

    def _run(self) -> None:
        delay = FIRST_RETRY
        while not self._stop.is_set():
            try:
                self._read_once()
                delay = FIRST_RETRY  # it was up: try again at once, then back off
            except (OSError, http.client.HTTPException, PeerError, zlib.error) as err:
                self.failures += 1
                if not self._stop.is_set():
                    logger.info(
                        "replication from %s: %s", self.peer.id, err or "closed"
                    )
            except Exception:  # a bug met once must not end this peer's stream
                self.failures += 1
                logger.exception("replication from %s failed", self.peer.id)
            finally:
                self._release()
                self._close()
                self._state.peer_down(self.peer.id)
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, MAX_RETRY)

    def _read_once(self) -> None:
        connection = http.client.HTTPConnection(
            self.peer.ip, self.peer.port, timeout=CONNECT_TIMEOUT
        )
        self._connection = connection
        headers = {
            "Member-ID": self._self_id,
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            STREAM_HEADER: self._epoch,
        }
        if self._last_id is not None:
            headers["Last-Event-ID"] = str(self._last_id)
        connection.request("GET", "/v1/replication", headers=headers)
        if connection.sock is not None:
            connection.sock.settimeout(READ_TIMEOUT)
        response = connection.getresponse()
        if response.status != 200:
            body = response.read(200).decode(errors="replace").strip()
            raise PeerError(f"answered {response.status}: {body}")
        stream = response.getheader(STREAM_HEADER)
        if stream is None:
            # The original's protocol: no replay, so read its full state first.
            if connection.sock is not None:
                connection.sock.settimeout(None)  # it sends nothing while idle
            self._sync_original()
        else:
            self._epoch, self._last_id = _stream_position(stream)
            if "snapshot" in stream:
                self._hold()
                self._applier.begin_full_state(self.peer.id)
        self._state.peer_up(self.peer.id)
        self._consume(response, "REP")

    def _consume(self, response: http.client.HTTPResponse, live: str) -> None:
        parser = SseParser()
        inflate = _inflater(response)
        while not self._stop.is_set():
            chunk = response.read1(65_536)
            if not chunk:
                return
            if inflate is not None:
                chunk = inflate.decompress(chunk)
            for event in parser.feed(chunk):
                self._handle(event, live)

    def _handle(self, event: SseEvent, live: str) -> None:
        if event.event == "SNAPSHOT":
            self._applier.apply_snapshot(event.data, self.peer.id)
            return
        if event.event == "SYNCED":
            self._applier.end_full_state(self.peer.id)
            self._release()
            self._on_synced(self.peer.id)
            return
        if event.event not in (live, "REPAIR"):
            if event.event not in self._reported:
                self._reported.add(event.event)
                logger.warning(
                    "replication from %s: unknown event %r ignored",
                    self.peer.id,
                    event.event,
                )
            return
        try:
            message = parse_event_data(event.data)
        except WireError as err:
            self._state.rejected += 1
            logger.warning("replication from %s: bad event: %s", self.peer.id, err)
        else:
            self._applier.apply(message, self.peer.id)
        if event.event == "REP" and event.id.isdigit():
            self._last_id = int(event.id)
        self._state.peer(self.peer.id).applied += 1

    def _hold(self) -> None:
        """Wait for our turn to apply a full state (stop-aware)."""
        while not self._stop.is_set():
            if self._snapshot_lock.acquire(timeout=0.2):
                self._holding = True
                return

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self._snapshot_lock.release()

    def _sync_original(self) -> None:
        """Read a peer's ``GET /v1/sync`` to the end (every event a REGISTER)."""
        self._hold()
        self._applier.begin_full_state(self.peer.id)
        connection = http.client.HTTPConnection(
            self.peer.ip, self.peer.port, timeout=READ_TIMEOUT
        )
        try:
            connection.request(
                "GET",
                "/v1/sync",
                headers={"Member-ID": self._self_id, "Accept": "text/event-stream"},
            )
            response = connection.getresponse()
            if response.status != 200:
                raise PeerError(f"sync answered {response.status}")
            self._consume(response, "SYNC")
            if self._stop.is_set():
                return  # cut short: what it sent is not its whole state
            self._applier.end_full_state(self.peer.id)
        finally:
            connection.close()
            self._release()
        self._on_synced(self.peer.id)

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _stream_position(header: str) -> tuple[str, int | None]:
    """``(epoch, id the stream goes on after)`` of our ``X-A8-Stream`` answer."""
    parts = [part.strip() for part in header.split(";")]
    cursor = parts[2] if len(parts) > 2 else ""
    return parts[0], int(cursor) if cursor.isdigit() else None


def _inflater(response: http.client.HTTPResponse) -> zlib._Decompress | None:
    if "gzip" in (response.getheader("Content-Encoding") or ""):
        return zlib.decompressobj(31)
    return None
