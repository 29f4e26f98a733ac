"""Servers the catalog tests start on 127.0.0.1: a fake Kubernetes API, a Eureka
fixture server that replays recorded documents, and a server that accepts
connections and never answers.

:class:`FakeKubernetes` behaves like the real API server where our client depends
on it: one increasing resourceVersion over all objects (sent as text), list then
watch from a version, events streamed as JSON lines, ``ERROR`` 410 *Expired* for a
version older than the last compaction, ``BOOKMARK`` events, watches closed by the
server (``close_watches`` or ``timeoutSeconds``), and a bearer token check.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

RESOURCES = ("endpoints", "pods", "endpointslices")
#: Path prefixes of the API groups the fake serves (core and discovery.k8s.io).
GROUPS = (["api", "v1"], ["apis", "discovery.k8s.io", "v1"])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Running:
    """An HTTP server on a free loopback port, served by a thread of this process."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def serve_tls(self, certfile: str, keyfile: str) -> Self:
        """Serve HTTPS with this certificate (call before :meth:`start`)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = self.url.replace("http://", "https://", 1)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- Kubernetes -------------------------------------------------------------------


class FakeKubernetes(_Running):
    def __init__(self, token: str = "", bookmark_every: float = 0.0) -> None:
        super().__init__(_KubernetesHandler)
        self.token = token
        self.bookmark_every = bookmark_every
        self.version = 1000
        self.compacted = 0
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.events: list[tuple[int, str, str, dict[str, Any]]] = []
        self.changed = threading.Condition()
        self.generation = 0  # close_watches() bumps it

    # -- scripting ------------------------------------------------------------

    def put(self, resource: str, namespace: str, obj: dict[str, Any]) -> str:
        """Create or replace an object; returns its new resourceVersion."""
        with self.changed:
            self.version += 1
            name = obj["metadata"]["name"]
            key = (resource, namespace, name)
            kind = "MODIFIED" if key in self.objects else "ADDED"
            stored = json.loads(json.dumps(obj))
            stored["metadata"].update(
                namespace=namespace, resourceVersion=str(self.version)
            )
            self.objects[key] = stored
            self.events.append((self.version, resource, kind, stored))
            self.changed.notify_all()
            return str(self.version)

    def delete(self, resource: str, namespace: str, name: str) -> None:
        with self.changed:
            self.version += 1
            stored = self.objects.pop((resource, namespace, name))
            stored = {**stored, "metadata": {**stored["metadata"]}}
            stored["metadata"]["resourceVersion"] = str(self.version)
            self.events.append((self.version, resource, "DELETED", stored))
            self.changed.notify_all()

    def compact(self) -> None:
        """Forget history: a watch from any version seen so far gets 410 Gone."""
        with self.changed:
            self.version += 1
            self.compacted = self.version
            self.events.clear()
            self.changed.notify_all()

    def close_watches(self) -> None:
        """End every open watch stream cleanly, as the API server does."""
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def watches(self, resource: str) -> list[str]:
        return [r for r in self.requests if f"/{resource}?" in r and "watch=" in r]

    def lists(self, resource: str) -> list[str]:
        return [
            r
            for r in self.requests
            if (r.endswith(f"/{resource}") or f"/{resource}?" in r)
            and "watch=" not in r
        ]


class _KubernetesHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeKubernetes:
        return self.server.owner  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        fake = self.fake
        fake.requests.append(self.path)
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = parts.path.strip("/").split("/")
        if fake.token and self.headers.get("Authorization") != f"Bearer {fake.token}":
            self._json(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        group = next((g for g in GROUPS if segments[: len(g)] == g), None)
        rest = segments[len(group) :] if group else []
        if len(rest) != 3 or rest[0] != "namespaces":
            self._json(404, _status(404, "NotFound", "not found"))
            return
        namespace, resource = rest[1], rest[2]
        if resource not in RESOURCES:
            self._json(404, _status(404, "NotFound", "not found"))
            return
        if query.get("watch") in ("true", "1"):
            self._watch(resource, namespace, query)
        else:
            self._list(resource, namespace)

    def _list(self, resource: str, namespace: str) -> None:
        fake = self.fake
        with fake.changed:
            items = [
                obj
                for (res, ns, _), obj in sorted(fake.objects.items())
                if res == resource and ns == namespace
            ]
            version = str(fake.version)
        kinds = {"endpoints": "EndpointsList", "pods": "PodList"}
        body = {
            "kind": kinds.get(resource, "EndpointSliceList"),
            "apiVersion": "discovery.k8s.io/v1"
            if resource == "endpointslices"
            else "v1",
            "metadata": {"resourceVersion": version},
            "items": items,
        }
        self._json(200, body)

    def _watch(self, resource: str, namespace: str, query: dict[str, str]) -> None:
        fake = self.fake
        since = int(query.get("resourceVersion") or 0)
        timeout = float(query.get("timeoutSeconds") or 3600)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
        if since and since < fake.compacted:
            gone = _status(410, "Expired", f"too old resource version: {since}")
            self._line({"type": "ERROR", "object": gone})
            return
        ends = time.monotonic() + timeout
        generation = fake.generation
        sent = since
        next_bookmark = time.monotonic() + (fake.bookmark_every or 1e9)
        while time.monotonic() < ends:
            with fake.changed:
                pending = [
                    (version, kind, obj)
                    for version, res, kind, obj in fake.events
                    if version > sent
                    and res == resource
                    and obj["metadata"]["namespace"] == namespace
                ]
                if not pending:
                    fake.changed.wait(0.05)
                closed = fake.generation != generation
                current = fake.version
            try:
                for version, kind, obj in pending:
                    self._line({"type": kind, "object": obj})
                    sent = version
                if time.monotonic() >= next_bookmark:
                    mark = {
                        "kind": "Pod",
                        "metadata": {"resourceVersion": str(current)},
                    }
                    self._line({"type": "BOOKMARK", "object": mark})
                    sent = max(sent, current)
                    next_bookmark = time.monotonic() + fake.bookmark_every
            except OSError:
                return
            if closed:
                return

    def _line(self, event: dict[str, Any]) -> None:
        self.wfile.write(json.dumps(event).encode() + b"\n")
        self.wfile.flush()

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def endpoints(
    name: str,
    addresses: list[tuple[str, str | None]],
    ports: list[dict[str, Any]],
    not_ready: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """An Endpoints object: ``addresses`` are (ip, pod name or None)."""
    ready = []
    for ip, pod in addresses:
        address: dict[str, Any] = {"ip": ip}
        if pod is not None:
            address["targetRef"] = {"kind": "Pod", "name": pod, "namespace": "x"}
        ready.append(address)
    subset: dict[str, Any] = {"addresses": ready, "ports": ports}
    if not_ready:
        subset["notReadyAddresses"] = [{"ip": ip} for ip in not_ready]
    return {"metadata": {"name": name}, "subsets": [subset]}


def pod(
    name: str,
    uid: str,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": uid}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"containers": []}}


# --- Eureka fixture server -----------------------------------------------------------


class FixtureEureka(_Running):
    """Serves ``documents[path]`` (JSON text) under ``/eureka/v2``; 404 otherwise."""

    def __init__(self) -> None:
        super().__init__(_FixtureHandler)
        self.documents: dict[str, str] = {}

    @property
    def base(self) -> str:
        return self.url + "/eureka/v2"

    def served(self, path: str) -> int:
        return sum(1 for r in self.requests if r == "/eureka/v2" + path)


class _FixtureHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner: FixtureEureka = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append(self.path)
        text = owner.documents.get(self.path.removeprefix("/eureka/v2"))
        data = (text or "").encode()
        self.send_response(200 if text is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# --- a server that never answers ------------------------------------------------------


class HungServer:
    """Accepts connections and reads nothing, answers nothing, until stopped."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> HungServer:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def stop(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout}s: {predicate}")
        time.sleep(0.02)


def endpoint_slice(
    name: str,
    service: str,
    endpoints: list[tuple[str, str | None, bool | None]],
    ports: list[dict[str, Any]],
) -> dict[str, Any]:
    """An EndpointSlice: ``endpoints`` are (ip, pod name or None, ready)."""
    items = []
    for ip, pod_name, ready in endpoints:
        item: dict[str, Any] = {"addresses": [ip]}
        if ready is not None:
            item["conditions"] = {"ready": ready}
        if pod_name is not None:
            item["targetRef"] = {"kind": "Pod", "name": pod_name}
        items.append(item)
    return {
        "metadata": {"name": name, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": items,
        "ports": ports,
    }
