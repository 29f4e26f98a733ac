"""A registered instance kept alive by a heartbeat thread.

:class:`Registration` registers, then renews every ``heartbeat_interval`` seconds
(a third of the TTL the registry granted, unless told otherwise). When a heartbeat
gets 404/410 (the registry forgot the instance: it expired, was removed, or the
registry restarted with an empty in-memory store) it registers again, with the
same body, so the instance keeps its id. When the registry cannot be reached it
tries again at the next beat. :meth:`Registration.close` (also on ``with`` exit
and at interpreter exit) stops the thread and deregisters.
"""

from __future__ import annotations

import atexit
import logging
import threading
from types import TracebackType
from typing import Any

from registry_client.errors import InstanceGoneError, RegistryError
from registry_client.transport import Transport, path_segment

logger = logging.getLogger("registry_client")

INSTANCES_PATH = "/api/v1/instances"


class Registration:
    """One instance of ours in the registry, renewed until :meth:`close`."""

    def __init__(
        self,
        transport: Transport,
        body: dict[str, Any],
        heartbeat_interval: float | None = None,
    ) -> None:
        self._transport = transport
        self._body = body
        self._interval_override = heartbeat_interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        #: Id and TTL the registry granted (set by :meth:`_register`).
        self.id = ""
        self.ttl = 0
        #: How many times the instance had to be registered again.
        self.reregistrations = 0
        #: The last heartbeat or registration error, ``None`` after a success.
        self.last_error: RegistryError | None = None
        self._register()
        self._thread = threading.Thread(
            target=self._beat, name=f"registry-heartbeat-{self.id}", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between heartbeats: as given, else a third of the TTL."""
        if self._interval_override is not None:
            return self._interval_override
        return max(self.ttl / 3, 0.5)

    def _register(self) -> None:
        """POST the registration; raises :class:`RegistryError` as the transport
        does (the first registration's errors reach the caller)."""
        document = self._transport.request("POST", INSTANCES_PATH, self._body).json()
        with self._lock:
            self.id = str(document["id"])
            self.ttl = int(document["ttl"])

    def heartbeat(self) -> None:
        """Renew now; register again if the registry forgot the instance."""
        path = f"{INSTANCES_PATH}/{path_segment(self.id)}/heartbeat"
        try:
            self._transport.request("PUT", path)
        except InstanceGoneError:
            logger.warning("instance %s unknown to the registry: registering", self.id)
            self._register()
            self.reregistrations += 1

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_interval):
            try:
                self.heartbeat()
            except RegistryError as err:
                self.last_error = err
                logger.warning("heartbeat of %s failed: %s", self.id, err)
            else:
                self.last_error = None

    def close(self) -> None:
        """Stop heartbeating and deregister (an instance already gone is fine).

        Idempotent; a registry that cannot be reached is logged, not raised: the
        instance then expires by its TTL.
        """
        if self._stop.is_set():
            return
        self._stop.set()
        atexit.unregister(self.close)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self._transport.timeout + 1)
        try:
            self._transport.request(
                "DELETE", f"{INSTANCES_PATH}/{path_segment(self.id)}"
            )
        except InstanceGoneError:
            pass
        except RegistryError as err:
            logger.warning("deregistering %s failed: %s", self.id, err)

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    def __enter__(self) -> Registration:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
