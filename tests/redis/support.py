"""Support for the Redis end-to-end tests: Redis topologies and registries on them.

A :class:`Stack` owns every process one test module starts (``redis-server``,
Sentinels, registries) and stops each of them by the pid it started, registries
first, then Sentinels, then Redis, also after a failed test.
:class:`Api` talks to one registry (optionally as one ``trusted`` namespace), with
a timeout on every request.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import requests

from tests.e2e.support import (
    RegistryServer,
    child_pids,
    client_session,
    instance_body,
)
from tests.eureka.helpers import eureka_instance as base_eureka_instance
from tests.support.redis_server import REDIS_SERVER, RedisServer, free_port

T = TypeVar("T")

#: Longest wait for any one HTTP request (the server answers within store_timeout).
REQUEST_TIMEOUT = 15.0
STORE_UNAVAILABLE = {"Error": "Registry store unavailable, try again later"}
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
#: Sweep interval, request latency and a loaded two-core host, on top of the
#: promised "gone within 1 s of last_heartbeat + ttl".
EXPIRY_GRACE = 1.0 + 0.75


def store_flags(server: RedisServer) -> list[str]:
    return ["--store", "redis", "--store_address", server.address]


def native_id(service: str, value: str, endpoint_type: str = "http") -> str:
    """The deterministic instance id of a native registration (spec §4.2)."""
    text = f"{service}/{endpoint_type}/{value}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def wait_every_worker_healthy(registry: RegistryServer, timeout: float) -> None:
    """Wait until every worker process has answered ``/uptime`` healthy on a new
    connection.

    Each worker's store circuit closes on its own probe (every 250 ms), so after an
    outage the workers come back one probe apart: a check on one keep-alive
    connection proves one worker, and a test that goes on with new connections may
    meet another that has not probed yet.
    """
    workers = set(child_pids(registry.pid))
    healthy: set[int] = set()

    def every_worker_healthy() -> bool:
        with client_session() as session:
            response = session.get(registry.url("/uptime"), timeout=5)
        if response.status_code == 200:
            healthy.add(int(response.json()["UPTIME"]["properties"]["pid"]))
        return bool(workers) and workers <= healthy

    wait_for(every_worker_healthy, timeout, f"workers {sorted(workers)} healthy")


def wait_for(
    predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"not within {timeout}s: {what} (last: {result!r})")
        time.sleep(interval)


def assert_expires(
    is_present: Callable[[], bool],
    renewed_after: float,
    renewed_before: float,
    ttl: float,
    what: str,
) -> float:
    """Poll until ``is_present()`` is false; return when it went (monotonic).

    The last heartbeat (or registration) was served between ``renewed_after`` and
    ``renewed_before`` (monotonic times around the request). The instance must
    still be there until ``renewed_after + ttl`` and gone within a second of
    ``renewed_before + ttl`` (plus a grace for a loaded host).
    """
    not_before = renewed_after + ttl - 0.02  # clock granularity
    not_after = renewed_before + ttl + EXPIRY_GRACE
    while True:
        sent = time.monotonic()
        present = is_present()
        answered = time.monotonic()
        if not present:
            assert answered >= not_before, (
                f"{what} went {not_before - answered:.3f}s before its TTL ran out"
            )
            return answered
        assert sent <= not_after, (
            f"{what} still there {sent - renewed_before - ttl:.3f}s after its TTL"
        )
        time.sleep(0.05)


def run_threads(target: Callable[[int], T], count: int) -> list[T]:
    """Run ``target(0..count-1)`` on ``count`` threads; re-raise their failures."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(target, index) for index in range(count)]
        return [future.result(timeout=120) for future in futures]


class Stack:
    """The processes of one test module; :meth:`close` stops all of them."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis_servers: list[RedisServer] = []
        self.registries: list[RegistryServer] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    def redis(self, *extra: str, port: int | None = None) -> RedisServer:
        """A started ``redis-server`` (stopped by :meth:`close`)."""
        server = RedisServer(*extra, port=port)
        self.redis_servers.append(server)  # before start: a failed start is cleaned
        server.start()
        return server

    def registry(self, *flags: str) -> RegistryServer:
        """A started registry process with ``flags`` (plus ``--log_level warning``)."""
        log = self.tmp / f"registry-{len(self.registries)}-{free_port()}.log"
        server = RegistryServer(log, ["--log_level", "warning", *flags])
        self.registries.append(server)
        server.start()
        return server

    def registries_at_once(self, *flag_lists: Sequence[str]) -> list[RegistryServer]:
        """Several registries started in parallel (start-up is mostly waiting)."""
        with ThreadPoolExecutor(max_workers=len(flag_lists)) as pool:
            return list(pool.map(lambda flags: self.registry(*flags), flag_lists))

    def sentinel(self, master: RedisServer, master_name: str = "mymaster") -> int:
        """A Sentinel watching ``master`` (quorum 1, 1 s down-after); its port."""
        port = free_port()
        directory = self.tmp / f"sentinel-{port}"
        directory.mkdir()
        config = directory / "sentinel.conf"
        config.write_text(
            f"port {port}\n"
            "bind 127.0.0.1\n"
            f"dir {directory}\n"
            f"sentinel monitor {master_name} 127.0.0.1 {master.port} 1\n"
            f"sentinel down-after-milliseconds {master_name} 1000\n"
            f"sentinel failover-timeout {master_name} 3000\n"
        )
        process = subprocess.Popen(
            [REDIS_SERVER, str(config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        client = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)
        try:

            def answers() -> bool:
                assert process.poll() is None, "sentinel exited"
                try:
                    return bool(client.ping())
                except redis.exceptions.RedisError:
                    return False

            wait_for(answers, 10, "the sentinel answers PING")
        finally:
            client.close()
        return port

    def close(self) -> list[str]:
        """Stop everything; return the failures (a registry exiting non-zero)."""
        failures: list[str] = []
        for registry in self.registries:
            registry.send_sigterm()  # all at once: they shut down in parallel
        for registry in self.registries:
            try:
                registry.stop()
            except (AssertionError, pytest.fail.Exception) as err:
                failures.append(str(err)[-3000:])
            finally:
                registry.cleanup()
        for process in self.processes:
            _stop_process(process)
        for server in self.redis_servers:
            resume(server)  # a test may have left it SIGSTOPped
            server.stop()
            shutil.rmtree(server.dir, ignore_errors=True)
        return failures


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def cluster_port() -> int:
    """A free port whose cluster bus port (``port + 10000``) is free too."""
    for _ in range(100):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no port with a free cluster bus port")


def pause(server: RedisServer) -> None:
    """SIGSTOP our redis-server: it accepts connections but never answers."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)


def resume(server: RedisServer) -> None:
    if server.process is not None and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)


def registry_keys(client: redis.Redis) -> set[str]:
    """The registry's keys on one Redis node (node-local ``KEYS``)."""
    return {
        key.decode() if isinstance(key, bytes) else key for key in client.keys("reg:*")
    }


class Api:
    """HTTP to one registry process, as one namespace (``trusted``) or as default."""

    def __init__(self, server: RegistryServer, namespace: str | None = None) -> None:
        self.server = server
        self.namespace = namespace
        self._exit = contextlib.ExitStack()
        self.session = self._exit.enter_context(client_session())
        if namespace is not None:
            self.session.headers["Authorization"] = f"Bearer {namespace}"

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._exit.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return self.session.request(method, self.server.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    # -- native API -----------------------------------------------------------

    def register(
        self, service: str, value: str = "10.0.0.1:8080", **extra: Any
    ) -> requests.Response:
        return self.request(
            "POST", "/api/v1/instances", json=instance_body(service, value, **extra)
        )

    def register_ok(
        self, service: str, value: str = "10.0.0.1:8080", **extra: Any
    ) -> str:
        response = self.register(service, value, **extra)
        assert response.status_code == 201, (response.status_code, response.text)
        instance_id: str = response.json()["id"]
        return instance_id

    def heartbeat(self, instance_id: str) -> requests.Response:
        return self.request("PUT", f"/api/v1/instances/{instance_id}/heartbeat")

    def deregister(self, instance_id: str) -> requests.Response:
        return self.request("DELETE", f"/api/v1/instances/{instance_id}")

    def instance(self, instance_id: str) -> requests.Response:
        return self.get(f"/api/v1/instances/{instance_id}")

    def exists(self, instance_id: str) -> bool:
        """Whether ``GET /api/v1/instances/{id}`` finds it (200, else 404)."""
        response = self.instance(instance_id)
        assert response.status_code in (200, 404), response.text
        return response.status_code == 200

    def instances(self, **query: str) -> list[dict[str, Any]]:
        response = self.get("/api/v1/instances", params=query)
        assert response.status_code == 200, (response.status_code, response.text)
        instances: list[dict[str, Any]] = response.json()["instances"]
        return instances

    def ids(self, service: str) -> set[str]:
        return {instance["id"] for instance in self.instances(service_name=service)}

    def services(self) -> list[str]:
        response = self.get("/api/v1/services")
        assert response.status_code == 200, (response.status_code, response.text)
        services: list[str] = response.json()["services"]
        return services

    def uptime(self) -> requests.Response:
        return self.get("/uptime")

    def serves(self, service: str = "probe") -> bool:
        """Whether a listing answers 200 (Redis reachable again)."""
        try:
            return self.get("/api/v1/instances", params={"service_name": service}).ok
        except requests.RequestException:
            return False


def assert_store_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert response.json() == STORE_UNAVAILABLE


def eureka_instance(
    app: str, host: str, port: int = 8080, duration: int = 90
) -> dict[str, Any]:
    """A registration body as Spring Cloud / py_eureka_client send it."""
    return base_eureka_instance(
        app,
        host,
        port_number=port,
        leaseInfo={"renewalIntervalInSecs": 1, "durationInSecs": duration},
    )


def delta_actions(document: dict[str, Any], instance_ids: Iterable[str]) -> list[str]:
    """The ``actionType``s the Eureka delta lists for ``instance_ids``, in order."""
    wanted = set(instance_ids)
    return [
        instance["actionType"]
        for application in document["applications"].get("application", [])
        for instance in application.get("instance", [])
        if instance.get("instanceId") in wanted
    ]
