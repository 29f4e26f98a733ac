"""The replication listener: ``GET /v1/replication`` and ``GET /v1/sync`` (§10.3).

A stdlib threaded HTTP/1.1 server in the registry process (it serves the
in-memory store of that process), one thread per connection. Both resources
answer Server-Sent Events, chunked, gzip-compressed when the request's
``Accept-Encoding`` names gzip; a missing ``Member-ID`` is ``400 Missing header
Member-ID`` and our own id ``400 Wrong Member-ID``, as the original answers.

Beyond the original, a reader that sends ``X-A8-Stream: <epoch>`` (ours) gets
``X-A8-Stream: <epoch>; <mode>; <id>`` back (the stream goes on after event
``<id>``) and its stream begins with the events it
missed (``replay``) or with every instance, 512 to a ``SNAPSHOT`` event (data:
``{"Namespace": ..., "Instances": [<store instance>, ...]}``), ended by a
``SYNCED`` event (``snapshot``); see :mod:`replication.hub`. An idle stream
carries a ``:`` comment every :data:`KEEPALIVE_INTERVAL` so both ends notice a
dead peer.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from registry.store.records import ServiceInstance
from replication.hub import Hub, Subscription
from replication.state import ReplicationState
from replication.wire import KEEPALIVE, Message, event_data, frame, snapshot_data

logger = logging.getLogger(__name__)

KEEPALIVE_INTERVAL: Final = 1.0
#: Pause after each write to a stream, so events under load go out in batches.
COALESCE: Final = 0.002
#: A peer that takes no bytes for this long is gone: its stream ends.
SEND_TIMEOUT: Final = 30.0
STREAM_HEADER: Final = "X-A8-Stream"
#: Snapshot frames written at once.
_SNAPSHOT_BATCH: Final = 512

Snapshot = Callable[[], Iterable[Message]]
#: Every namespace with its instances.
FullState = Callable[[], Iterable[tuple[str, list[ServiceInstance]]]]


class ReplicationServer:
    """One node's listener: bound by :meth:`bind`, answering after :meth:`serve`."""

    def __init__(
        self,
        host: str,
        port: int,
        member_id: str,
        hub: Hub,
        snapshot: Snapshot,
        state: ReplicationState,
        full_state: FullState,
    ) -> None:
        self.address = (host, port)
        self.member_id = member_id
        self.hub = hub
        self.snapshot = snapshot
        self.full_state = full_state
        self.state = state
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def bind(self) -> None:
        """Bind and listen (connections wait in the backlog until :meth:`serve`).
        Raises :class:`OSError` when the port is taken."""
        server_class = _Server6 if ":" in self.address[0] else _Server
        self._httpd = server_class(self.address, _Handler)
        self._httpd.replication = self

    def serve(self) -> None:
        """Start answering, on a thread of its own."""
        assert self._httpd is not None, "bind() first"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="replication-listener",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """End every stream, stop answering and close the socket."""
        self.hub.stop()
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    replication: ReplicationServer


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        node = self.server.replication
        path = self.path.partition("?")[0]
        if path not in ("/v1/replication", "/v1/sync"):
            self._plain(404, "404 page not found")
            return
        member = self.headers.get("Member-ID", "")
        if not member:
            self._plain(400, "Missing header Member-ID")
            return
        if member == node.member_id:
            self._plain(400, "Wrong Member-ID")
            return
        self.connection.settimeout(SEND_TIMEOUT)
        self.close_connection = True
        try:
            if path == "/v1/sync":
                self._sync(node)
            else:
                self._replicate(node, member)
        except (OSError, ValueError) as err:  # the peer went away mid-stream
            logger.debug("stream to %s ended: %s", member, err)

    def _sync(self, node: ReplicationServer) -> None:
        writer = self._start_stream({})
        batch: list[bytes] = []
        for number, message in enumerate(node.snapshot()):
            batch.append(frame("SYNC", event_data(message), str(number)))
            if len(batch) >= _SNAPSHOT_BATCH:
                writer.send(b"".join(batch))
                batch.clear()
        writer.send(b"".join(batch))
        writer.end()

    def _replicate(self, node: ReplicationServer, member: str) -> None:
        epoch = self.headers.get(STREAM_HEADER)
        last_id = _event_id(self.headers.get("Last-Event-ID", ""))
        subscription, mode = node.hub.subscribe(member, last_id, epoch)
        logger.info("replication stream to %s opened (%s)", member, mode)
        stream = f"{node.hub.epoch}; {mode}; {subscription.cursor}"
        extra = {} if epoch is None else {STREAM_HEADER: stream}
        try:
            writer = self._start_stream(extra)
            if mode == "snapshot":
                self._snapshot(node, writer)
            self._follow(node.hub, subscription, writer)
        finally:
            node.hub.unsubscribe(subscription)
            logger.info("replication stream to %s closed", member)

    def _snapshot(self, node: ReplicationServer, writer: _StreamWriter) -> None:
        for namespace, records in node.full_state():
            for start in range(0, len(records), _SNAPSHOT_BATCH):
                batch = records[start : start + _SNAPSHOT_BATCH]
                writer.send(frame("SNAPSHOT", snapshot_data(namespace, batch)))
        writer.send(frame("SYNCED", b""))
        node.state.snapshots_served += 1

    def _follow(
        self, hub: Hub, subscription: Subscription, writer: _StreamWriter
    ) -> None:
        while True:
            batch = hub.next_batch(subscription, KEEPALIVE_INTERVAL)
            if batch is None:
                writer.end()
                return
            writer.send(b"".join(batch) if batch else KEEPALIVE)
            if batch:
                # Let the next events gather: one write per COALESCE at most, not
                # one per event (under load that is most of a node's CPU).
                time.sleep(COALESCE)

    def _start_stream(self, extra: dict[str, str]) -> _StreamWriter:
        compress = "gzip" in self.headers.get("Accept-Encoding", "").lower()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "keep-alive")
        self.send_header("Transfer-Encoding", "chunked")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        return _StreamWriter(self.wfile, compress)

    def _plain(self, status: int, text: str) -> None:
        """An error as Go's ``http.Error`` writes it."""
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _StreamWriter:
    """Chunked transfer coding, gzip inside when asked; each send is flushed."""

    def __init__(self, out: io.BufferedIOBase, compress: bool) -> None:
        self._out = out
        self._gzip = zlib.compressobj(6, zlib.DEFLATED, 31) if compress else None

    def send(self, data: bytes) -> None:
        if self._gzip is not None:
            data = self._gzip.compress(data) + self._gzip.flush(zlib.Z_SYNC_FLUSH)
        self._chunk(data)

    def end(self) -> None:
        if self._gzip is not None:
            self._chunk(self._gzip.flush(zlib.Z_FINISH))
        self._out.write(b"0\r\n\r\n")
        self._out.flush()

    def _chunk(self, data: bytes) -> None:
        if data:
            self._out.write(b"%x\r\n%b\r\n" % (len(data), data))
            self._out.flush()


def _event_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None
