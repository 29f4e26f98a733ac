"""Helpers of the cluster tests: nodes sharing one cluster directory, and the
few HTTP calls the tests repeat."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.support import RegistryServer, bearer, free_port, instance_body

JSON = {"Accept": "application/json"}


def wait_for(predicate: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
    """Poll until ``predicate(*args)`` is truthy; return it (fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate(*args)
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Cluster:
    """Nodes sharing ``cluster_dir``; each with its own API and replication port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cluster_dir = root / "cluster"
        self.nodes: list[RegistryServer] = []
        self._started = 0

    def start(
        self, replication_port: int | None = None, **extra: str
    ) -> RegistryServer:
        port = replication_port or free_port()
        self._started += 1
        log_dir = self.root / f"node-{self._started}"
        log_dir.mkdir()
        flags = [
            "--replication",
            "--replication_host=127.0.0.1",
            f"--replication_port={port}",
            f"--cluster_dir={self.cluster_dir}",
            "--cluster_size=3",
            "--auth_mode=trusted",
            "--min_ttl=1s",
            "--default_ttl=30s",
            *(f"--{name}={value}" for name, value in extra.items()),
        ]
        node = RegistryServer(log_dir / "registry.log", flags)
        node.replication_port = port  # type: ignore[attr-defined]
        self.nodes.append(node)
        started = time.monotonic()
        node.start()
        node.startup_seconds = time.monotonic() - started  # type: ignore[attr-defined]
        return node

    def stop_all(self) -> None:
        for node in self.nodes:
            node.send_sigterm()
        for node in self.nodes:
            try:
                node.terminate()
            finally:
                node.cleanup()


def worker_pid(node: RegistryServer) -> int:
    """The pid of the node's worker process (where the data and streams live)."""
    found = re.findall(r"services started in pid (\d+)", node.log)
    assert found, node.log
    return int(found[-1])


def kill_9(node: RegistryServer) -> None:
    os.kill(worker_pid(node), signal.SIGKILL)
    node.cleanup()  # SIGKILL to the main pid, and wait for it


def instances(http, node, service: str, namespace: str = "default") -> list[dict]:
    response = http.get(
        node.url(f"/api/v1/instances?service_name={service}"), headers=bearer(namespace)
    )
    assert response.status_code == 200, response.text
    return response.json()["instances"]


def register(http, node, service: str, namespace: str = "default", **extra) -> str:
    body = instance_body(service, **extra)
    response = http.post(
        node.url("/api/v1/instances"), json=body, headers=bearer(namespace)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def eureka_app(http, node, app: str) -> dict | None:
    response = http.get(node.url(f"/eureka/v2/apps/{app}"), headers=JSON)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    (instance,) = response.json()["application"]["instance"]
    return dict(instance)
