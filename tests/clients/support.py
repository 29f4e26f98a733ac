"""Helpers for the real-client tests: client drivers in subprocesses, native API reads.

A driver is a small program (``py_eureka_driver.py``, ``eureka_js_driver.js``) that
runs one real Eureka client and talks JSON lines: events and replies on stdout,
commands on stdin (see the drivers' docstrings). :class:`Driver` starts one, records
every line, and always ends it (closing stdin asks it to stop the client; a driver
that does not exit in time is killed, by its own pid).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from tests.e2e.support import REPO_ROOT, RegistryServer, clean_environ

CLIENTS_DIR = Path(__file__).resolve().parent
#: Every wait of these tests is bounded by (a multiple of) this.
DEADLINE = 10.0
Message = dict[str, Any]


class Driver:
    """One client driver process and everything it has written so far."""

    def __init__(self, args: Sequence[str], log_path: Path, name: str) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] = open(log_path, "wb")  # noqa: SIM115 (closed in close())
        self.messages: list[Message] = []
        self._cond = threading.Condition()
        self._eof = False
        self._next_id = 0
        self.process = subprocess.Popen(
            list(args),
            cwd=REPO_ROOT,
            env=clean_environ(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._reader = threading.Thread(
            target=self._read, name=f"{name}-reader", daemon=True
        )
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                message = json.loads(text)
            except ValueError:
                message = {"event": "unparsed", "text": text}
            with self._cond:
                self.messages.append(message)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    @property
    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def describe(self) -> str:
        with self._cond:
            lines = [json.dumps(m)[:300] for m in self.messages[-40:]]
        return (
            f"{self.name} messages (last 40):\n"
            + "\n".join(lines)
            + (f"\n{self.name} log:\n{self.log[-6000:]}")
        )

    def mark(self) -> int:
        """The number of messages so far (for :meth:`wait_for`'s ``after``)."""
        with self._cond:
            return len(self.messages)

    def events(self, name: str, after: int = 0, **fields: Any) -> list[Message]:
        with self._cond:
            return [
                m
                for m in self.messages[after:]
                if m.get("event") == name
                and all(m.get(k) == v for k, v in fields.items())
            ]

    def wait_for(
        self,
        what: str,
        predicate: Callable[[Message], bool],
        after: int = 0,
        timeout: float = DEADLINE,
    ) -> Message:
        """The first message from index ``after`` on that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        index = after
        with self._cond:
            while True:
                while index < len(self.messages):
                    message = self.messages[index]
                    index += 1
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    break
                self._cond.wait(remaining)
        pytest.fail(f"{self.name}: no {what} within {timeout}s\n{self.describe()}")

    def wait_event(
        self, name: str, after: int = 0, timeout: float = DEADLINE, **fields: Any
    ) -> Message:
        def matches(m: Message) -> bool:
            return m.get("event") == name and all(
                m.get(k) == v for k, v in fields.items()
            )

        return self.wait_for(f"event {name} {fields}", matches, after, timeout)

    def request(self, cmd: str, timeout: float = DEADLINE, **args: Any) -> Message:
        """Send a command and return its reply (failing on an ``error`` reply)."""
        self._next_id += 1
        request_id = self._next_id
        after = self.mark()
        self._send({"id": request_id, "cmd": cmd, **args})
        reply = self.wait_for(
            f"reply to {cmd}", lambda m: m.get("reply") == request_id, after, timeout
        )
        assert not reply.get("error"), f"{cmd}: {reply['error']}\n{self.describe()}"
        return reply

    def stop(self, timeout: float = DEADLINE) -> Message:
        """Ask the driver to stop its client; wait for the reply and the exit."""
        reply = self.request("stop", timeout)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not exit after stop\n{self.describe()}")
        return reply

    def _send(self, message: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pytest.fail(f"{self.name} has exited\n{self.describe()}")

    def close(self, timeout: float = DEADLINE) -> None:
        """End the process whatever happened: EOF on stdin, then kill (our pid)."""
        if self.process.poll() is None and self.process.stdin is not None:
            with contextlib.suppress(OSError):  # a broken pipe: it is gone already
                self.process.stdin.close()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._reader.join(timeout)  # the pipe is at EOF once the process is gone
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._log.close()


# --- the registry, through its native API and raw Eureka calls --------------------------


def unique_app(prefix: str) -> str:
    """An application name no other test uses (upper case, as Eureka stores it)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}".upper()


def native_instance(
    http: requests.Session, server: RegistryServer, store_id: str
) -> dict[str, Any] | None:
    """``GET /api/v1/instances/{id}``: the instance, or None on 404."""
    response = http.get(server.url(f"/api/v1/instances/{store_id}"))
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (response.status_code, response.text)
    instance: dict[str, Any] = response.json()["instance"]
    return instance


def native_app(
    http: requests.Session, server: RegistryServer, app: str
) -> list[dict[str, Any]]:
    """``GET /api/v1/services/{app}``: its instances (none on 404)."""
    response = http.get(server.url(f"/api/v1/services/{app}"))
    if response.status_code == 404:
        return []
    assert response.status_code == 200, (response.status_code, response.text)
    instances: list[dict[str, Any]] = response.json()["instances"]
    return instances


def native_delete(
    http: requests.Session, server: RegistryServer, store_id: str
) -> None:
    """Make the server forget an instance (as an expiry or a restart would)."""
    response = http.delete(server.url(f"/api/v1/instances/{store_id}"))
    assert response.status_code == 200, (response.status_code, response.text)


def poll(
    what: str,
    read: Callable[[], Any],
    check: Callable[[Any], bool],
    timeout: float = DEADLINE,
    interval: float = 0.1,
) -> Any:
    """Call ``read`` until ``check`` accepts its value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if check(value):
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"{what}: not reached within {timeout}s; last value: {value!r}")
        time.sleep(interval)


def eureka_register(
    http: requests.Session,
    base: str,
    app: str,
    instance_id: str,
    port: int,
    duration: int = 30,
) -> None:
    """A minimal Eureka registration (a peer instance), as a Java client sends it."""
    body = {
        "instance": {
            "instanceId": instance_id,
            "hostName": "127.0.0.1",
            "app": app,
            "ipAddr": "127.0.0.1",
            "status": "UP",
            "port": {"$": port, "@enabled": "true"},
            "vipAddress": app.lower(),
            "dataCenterInfo": {
                "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                "name": "MyOwn",
            },
            "leaseInfo": {"renewalIntervalInSecs": 1, "durationInSecs": duration},
        }
    }
    response = http.post(f"{base}apps/{app}", json=body)
    assert response.status_code == 204, (response.status_code, response.text)
