"""Every supported way to serve the registry, the same checks for each.

- ``granian``: ``runregistry`` (the default server; the whole e2e suite runs on it);
- ``gunicorn``: ``runregistry --server gunicorn``;
- ``gunicorn-conf``: ``gunicorn -c registry_project/gunicorn.conf.py
  registry_project.wsgi``, configured by ``A8_*`` variables only.

For each: start-up, one round trip per API, the request target in the access log,
SIGTERM (exit status 0), and the runtime's background services started exactly once
per worker process, after the worker exists, and stopped on SIGTERM: in memory (one
worker) and on Redis with two workers. The evidence is the line each worker logs
(``services started in pid N: ...``), the worker pids that ``/uptime`` reports
(``pid``), and an instance expiring.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import (
    RegistryServer,
    client_session,
    instance_body,
    unique,
)
from tests.eureka.helpers import eureka_instance
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.e2e

SERVERS = ("granian", "gunicorn", "gunicorn-conf")
# The expiry sweep first; the Redis store adds its health probe.
STARTED = re.compile(r"services started in pid (\d+): registry-expiry\b", re.M)
STOPPED = re.compile(r"services stopped in pid (\d+): registry-expiry\b", re.M)


def make_server(kind: str, log: Path, **settings: str) -> RegistryServer:
    """A registry served the ``kind`` way, with ``settings`` (flag names)."""
    if kind == "gunicorn-conf":
        env = {f"A8_{name.upper()}": value for name, value in settings.items()}
        return RegistryServer(log, env=env, gunicorn_conf=True)
    flags = [f"--{name}={value}" for name, value in settings.items()]
    if kind == "gunicorn":
        flags.append("--server=gunicorn")
    return RegistryServer(log, flags)


@pytest.fixture(scope="module", params=SERVERS)
def server(request, tmp_path_factory) -> Iterator[RegistryServer]:
    log = tmp_path_factory.mktemp(f"server-{request.param}") / "registry.log"
    registry = make_server(request.param, log)
    registry.kind = request.param  # type: ignore[attr-defined]
    try:
        yield registry.start()
        registry.stop()
    finally:
        registry.cleanup()


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def uptime(http, server: RegistryServer) -> dict:
    """``/uptime``'s own properties (the store's health is not what these test)."""
    response = http.get(server.url("/uptime"))
    assert response.status_code in (200, 503), (response.text, server.log)
    properties: dict = response.json()["UPTIME"]["properties"]
    return properties


def test_a_worker_forked_by_the_started_process_serves(server):
    with client_session() as http:
        assert http.get(server.url("/")).status_code == 200
        properties = uptime(http, server)
    worker = properties["pid"]
    assert worker != server.pid
    assert parent_pid(worker) == server.pid
    assert STARTED.findall(server.log) == [str(worker)], server.log


def test_native_round_trip(server):
    name = unique()
    with client_session() as http:
        created = http.post(server.url("/api/v1/instances"), json=instance_body(name))
        assert created.status_code == 201, created.text
        instance_id = created.json()["id"]
        listed = http.get(server.url(f"/api/v1/instances?service_name={name}"))
        assert [i["id"] for i in listed.json()["instances"]] == [instance_id]
        beat = http.put(server.url(f"/api/v1/instances/{instance_id}/heartbeat"))
        assert (beat.status_code, beat.content) == (200, b"")
        gone = http.delete(server.url(f"/api/v1/instances/{instance_id}"))
        assert gone.status_code == 200
        listed = http.get(server.url(f"/api/v1/instances?service_name={name}"))
        assert listed.json() == {"instances": []}


def test_eureka_round_trip(server):
    app = unique("app").upper()
    body = eureka_instance(app, "10.0.0.7")
    instance_id = body["instance"]["instanceId"]
    base = server.url(f"/eureka/v2/apps/{app}")
    json_headers = {"Accept": "application/json"}
    with client_session() as http:
        assert http.post(base, json=body).status_code == 204
        fetched = http.get(base, headers=json_headers)
        assert fetched.status_code == 200, fetched.text
        [instance] = fetched.json()["application"]["instance"]
        assert instance["instanceId"] == instance_id
        assert http.put(f"{base}/{instance_id}").status_code == 200
        assert http.delete(f"{base}/{instance_id}").status_code == 200
        assert http.put(f"{base}/{instance_id}").status_code == 404


def test_the_eureka_registry_kept_compressed_is_sent_either_way(server):
    """Kept as gzip only: sent as kept, or inflated piece by piece as it goes out,
    with its length and ETag either way (about 290 KB: two pieces)."""
    app = unique("big").upper()
    with client_session() as http:
        for port in range(400):
            body = eureka_instance(app, "10.0.0.8", port + 1)
            assert http.post(server.url(f"/eureka/v2/apps/{app}"), json=body).ok
        url = server.url("/eureka/v2/apps")
        json_accept = {"Accept": "application/json"}
        zipped = http.get(
            url, headers={**json_accept, "Accept-Encoding": "gzip"}, stream=True
        )
        kept = zipped.raw.read(decode_content=False)
        plain = http.get(url, headers={**json_accept, "Accept-Encoding": "identity"})
        again = http.get(
            url,
            headers={**json_accept, "Accept-Encoding": "identity"}
            | {"If-None-Match": plain.headers["ETag"]},
        )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Content-Length"] == str(len(kept))
    assert gzip.decompress(kept) == plain.content
    assert plain.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert "Transfer-Encoding" not in plain.headers
    assert plain.headers["Content-Length"] == str(len(plain.content))
    assert plain.headers["ETag"] == zipped.headers["ETag"]
    assert len(plain.json()["applications"]["application"][0]["instance"]) >= 400
    assert (again.status_code, again.content) == (304, b"")


def test_access_log_has_the_request_target(server):
    """gunicorn gives the target as sent; granian only the decoded path, which is
    escaped again (docs/compatibility.md)."""
    sent = "/api/v1/services/a%2Fb%20c?x=%2F"
    with client_session() as http:
        assert http.get(server.url(sent)).status_code == 404
    expected = sent if "gunicorn" in server.kind else "/api/v1/services/a/b%20c?x=%2F"
    assert f" GET {expected} HTTP/1.1 " in server.log, server.log


@pytest.mark.parametrize("kind", SERVERS)
def test_sigterm_stops_the_worker_services_and_exits_0(kind, tmp_path):
    registry = make_server(kind, tmp_path / "registry.log")
    try:
        registry.start()
        with client_session() as http:
            worker = uptime(http, registry)["pid"]
            # An idle keep-alive connection is open while the server stops.
            elapsed = registry.terminate()
        assert registry.returncode == 0, registry.log
        assert elapsed < 8
        assert STARTED.findall(registry.log) == [str(worker)]
        assert STOPPED.findall(registry.log) == [str(worker)]
    finally:
        registry.cleanup()


@pytest.mark.parametrize("kind", SERVERS)
def test_redis_two_workers_each_start_their_services_once(kind, tmp_path):
    redis_server = RedisServer().start()
    registry = make_server(
        kind,
        tmp_path / "registry.log",
        store="redis",
        store_address=redis_server.address,
        workers="2",
        min_ttl="1s",
    )
    try:
        registry.start()
        _check_two_workers(registry)
        registry.terminate()
        assert registry.returncode == 0, registry.log
        started = STARTED.findall(registry.log)
        assert len(started) == 2
        assert sorted(STOPPED.findall(registry.log)) == sorted(started)
    finally:
        registry.cleanup()
        redis_server.stop()


def _check_two_workers(registry: RegistryServer) -> None:
    # Both workers forked by the started process, each started its services once.
    deadline = time.monotonic() + 10
    while len(STARTED.findall(registry.log)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = {int(pid) for pid in STARTED.findall(registry.log)}
    assert len(workers) == 2, registry.log
    assert {parent_pid(pid) for pid in workers} == {registry.pid}
    # The workers that logged their services are the ones that answer requests.
    seen: set[int] = set()
    with contextlib.ExitStack() as connections:
        while seen != workers and time.monotonic() < deadline:
            http = connections.enter_context(client_session())
            seen.add(uptime(http, registry)["pid"])
        assert seen == workers
        name = unique()
        created = http.post(
            registry.url("/api/v1/instances"), json=instance_body(name, ttl=1)
        )
        assert created.status_code == 201, created.text
        # Swept within a second or so of its TTL by either worker's service.
        while time.monotonic() < deadline:
            listed = http.get(registry.url(f"/api/v1/instances?service_name={name}"))
            if listed.json() == {"instances": []}:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the instance did not expire")
