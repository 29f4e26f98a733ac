"""What replication counts, and the ``CLUSTER`` / ``REPLICATION`` health (§8.1).

:class:`ReplicationState` is the one place the services write their counters and
the health components (and, later, a metrics exporter) read them. Counters are
plain integers bumped under the GIL; a reader may see one a moment old.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

#: How long the cluster may stay below ``cluster_size``, or a peer stay
#: disconnected, before health says so (the original's grace).
HEALTH_GRACE: Final = 600.0


@dataclass
class PeerState:
    """One peer stream this node reads."""

    connected: bool = False
    #: Monotonic time the stream went down (or was first tried), when down.
    down_since: float | None = None
    applied: int = 0
    last_event_id: int = 0


class ReplicationState:
    """Counters of one node's replication, read by ``/uptime``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.member_id = ""
        self.cluster_size = 0
        self.threshold = 0
        self._below_since: float | None = None
        self.peers: dict[str, PeerState] = {}
        #: Events published to the outgoing ring (REP).
        self.published = 0
        #: Events sent again from the ring after a reconnect (``Last-Event-ID``).
        self.replayed = 0
        #: Events a subscriber missed because it fell off the ring (it then got a
        #: snapshot), plus REPAIR messages that found no stream to go to.
        self.dropped = 0
        #: Snapshots served to peers that could not be replayed to.
        self.snapshots_served = 0
        #: Received messages that could not be parsed or applied.
        self.rejected = 0
        #: Instances removed because a peer's full state no longer held them.
        self.reconciled = 0
        #: Subscriber -> events it is behind the ring's head (its send queue).
        self.queue_depths: Callable[[], Mapping[str, int]] = dict

    # -- membership -------------------------------------------------------------

    def set_cluster_size(self, size: int) -> None:
        with self._lock:
            self.cluster_size = size
            now = self._clock()
            if size >= self.threshold:
                self._below_since = None
            elif self._below_since is None:
                self._below_since = now

    # -- peer streams -----------------------------------------------------------

    def peer(self, member: str) -> PeerState:
        with self._lock:
            state = self.peers.get(member)
            if state is None:
                state = self.peers[member] = PeerState(down_since=self._clock())
            return state

    def peer_up(self, member: str) -> None:
        state = self.peer(member)
        state.connected, state.down_since = True, None

    def peer_down(self, member: str) -> None:
        state = self.peer(member)
        if state.connected or state.down_since is None:
            state.connected, state.down_since = False, self._clock()

    def forget_peer(self, member: str) -> None:
        with self._lock:
            self.peers.pop(member, None)

    # -- health -------------------------------------------------------------------

    def cluster_health(self) -> tuple[bool, dict[str, Any]]:
        """``CLUSTER``: always healthy; size, threshold, a message when the
        cluster has been below the threshold for longer than the grace."""
        properties: dict[str, Any] = {
            "size": self.cluster_size,
            "threshold": self.threshold,
        }
        below = self._below_since
        if below is not None and self._clock() - below > HEALTH_GRACE:
            properties["message"] = (
                f"cluster size {self.cluster_size} is below the threshold "
                f"{self.threshold} for at least {_duration(HEALTH_GRACE)}"
            )
        return True, properties

    def replication_health(self) -> tuple[bool, dict[str, Any]]:
        """``REPLICATION``: unhealthy while a peer stream has been down longer
        than the grace, with the original's message; counters as properties."""
        now = self._clock()
        with self._lock:
            peers = dict(self.peers)
        long_down = [
            state
            for state in peers.values()
            if state.down_since is not None and now - state.down_since > HEALTH_GRACE
        ]
        properties: dict[str, Any] = {
            "peers": len(peers),
            "connected": sum(state.connected for state in peers.values()),
            "disconnected_seconds": {
                member: round(now - state.down_since, 3)
                for member, state in sorted(peers.items())
                if state.down_since is not None
            },
            "published": self.published,
            "replayed": self.replayed,
            "dropped": self.dropped,
            "snapshots_served": self.snapshots_served,
            "rejected": self.rejected,
            "reconciled": self.reconciled,
            "queue_depths": dict(self.queue_depths()),
        }
        if long_down:
            longest = min(
                now - state.down_since for state in long_down if state.down_since
            )
            properties["message"] = (
                f"{len(long_down)}/{len(peers)} replication clients disconnected "
                f"for at least {_duration(longest)}"
            )
        return not long_down, properties


def _duration(seconds: float) -> str:
    """Go's duration text for whole seconds and more: ``10m0s``, ``1h2m3s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
