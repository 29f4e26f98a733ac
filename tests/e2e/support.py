"""End-to-end support: the real registry (``manage.py runregistry``) in a subprocess.

Each :class:`RegistryServer` listens on its own free loopback port, is started with a
clean ``A8_*`` environment in a directory of its own (so no ``.env`` file but the
test's is read) and is stopped with SIGTERM sent to the pid it started.
Servers are session-scoped per configuration; tests isolate their data with unique
service names, or with a namespace of their own on the ``trusted`` servers.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
MANAGE_PY = str(REPO_ROOT / "manage.py")
#: The other documented way to start the registry: gunicorn with our configuration
#: file, configured by ``A8_*`` variables only (``RegistryServer(gunicorn_conf=True)``).
GUNICORN_CONF_COMMAND = (
    sys.executable,
    "-m",
    "gunicorn",
    "-c",
    str(REPO_ROOT / "registry_project" / "gunicorn.conf.py"),
    "registry_project.wsgi",
)
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
JWT_SECRET = "e2e-jwt-secret-0123456789-abcdefghij"  # >= 32 bytes: no PyJWT warning
REQUEST_ID_PATTERN = r"[A-Za-z]{10}_[0-9]+_[0-9]+"
#: TTLs (seconds) of the ``short_ttl_server`` fixture.
SHORT_MIN_TTL, SHORT_DEFAULT_TTL, SHORT_MAX_TTL = 1, 2, 90


@contextlib.contextmanager
def client_session() -> Iterator[requests.Session]:
    """A ``requests`` session whose pooled connections are really closed at the end.

    ``Session.close()`` only forgets urllib3's pools (urllib3 2.x no longer closes
    them), so a response kept alive by a failed assertion's traceback keeps its
    keep-alive socket open, and gunicorn waits for it on SIGTERM.
    """
    session = requests.Session()
    try:
        yield session
    finally:
        for adapter in session.adapters.values():
            pools = getattr(adapter, "poolmanager", None)
            if pools is not None:
                for key in list(pools.pools.keys()):
                    pool = pools.pools.get(key)
                    if pool is not None:
                        pool.close()
        session.close()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` without any ``A8_*`` variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("A8_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_registry_command(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py runregistry <args>`` to completion (config errors, help).

    It runs in ``cwd``, else in an empty temporary directory.
    """
    with tempfile.TemporaryDirectory() as empty:
        return subprocess.run(
            [sys.executable, MANAGE_PY, "runregistry", *args],
            cwd=cwd or empty,
            env=clean_environ(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


class RegistryServer:
    """One registry process on a free loopback port."""

    def __init__(
        self,
        log_path: Path,
        flags: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        gunicorn_conf: bool = False,
    ) -> None:
        """``log_path``'s directory is the server's working directory.

        ``gunicorn_conf``: run ``gunicorn -c registry_project/gunicorn.conf.py``
        instead of ``runregistry`` (then ``flags`` must be empty: use ``env``).
        """
        assert not (gunicorn_conf and flags), "gunicorn -c takes A8_* variables only"
        self.flags = list(flags)
        self.env = dict(env or {})
        self.gunicorn_conf = gunicorn_conf
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        #: stderr, where the registry logs; stdout goes to ``stdout_path``.
        self.log_path = log_path
        self.stdout_path = log_path.with_suffix(".stdout")
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None
        self._sigterm_sent = False

    def start(self) -> RegistryServer:
        env = dict(self.env)
        if self.gunicorn_conf:
            args = list(GUNICORN_CONF_COMMAND)
            env.update(A8_API_HOST="127.0.0.1", A8_API_PORT=str(self.port))
        else:
            args = [
                sys.executable,
                MANAGE_PY,
                "runregistry",
                "--api_host",
                "127.0.0.1",
                "--api_port",
                str(self.port),
                *self.flags,
            ]
        with open(self.log_path, "wb") as log, open(self.stdout_path, "wb") as out:
            self.process = subprocess.Popen(
                args,
                cwd=self.log_path.parent,
                env=clean_environ(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=log,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.returncode = self.process.returncode
                pytest.fail(
                    f"registry exited with {self.returncode} at start-up:\n{self.log}"
                )
            try:
                # No keep-alive: an idle pooled connection would slow the stop.
                probe = requests.get(
                    self.url("/"), timeout=2, headers={"Connection": "close"}
                )
                if probe.status_code == 200:
                    return
            except requests.RequestException:
                # Refused before the bind, or a timeout while the worker boots.
                pass
            time.sleep(0.05)
        self._kill()
        pytest.fail(f"registry did not answer within {STARTUP_TIMEOUT}s:\n{self.log}")

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def stdout(self) -> str:
        try:
            return self.stdout_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def log(self) -> str:
        """What the server wrote to stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def send_sigterm(self) -> None:
        """Ask our process to stop, without waiting; only once (a second SIGTERM
        racing the server's own exit could kill it with the signal)."""
        if self._sigterm_sent or self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self._sigterm_sent = True

    def terminate(self) -> float:
        """Send SIGTERM to our pid; return how long it took to exit (exit code kept).

        Waits at most ``STOP_TIMEOUT``; after that the process is killed and the
        test fails.
        """
        assert self.process is not None
        started = time.monotonic()
        self.send_sigterm()
        try:
            self.returncode = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill()
            pytest.fail(f"registry ignored SIGTERM for {STOP_TIMEOUT}s:\n{self.log}")
        return time.monotonic() - started

    def stop(self) -> str:
        """SIGTERM, wait, assert exit status 0; return the captured log text."""
        self.terminate()
        log = self.log
        assert self.returncode == 0, f"exit status {self.returncode}:\n{log}"
        return log

    def _kill(self) -> None:
        # Last resort: the process we started and its workers, which would
        # otherwise outlive it (a killed granian main process leaves them running).
        if self.process is not None and self.process.poll() is None:
            workers = child_pids(self.process.pid)
            self.process.kill()
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.returncode = self.process.wait(timeout=STOP_TIMEOUT)

    def cleanup(self) -> None:
        """Kill the process if it is still running (after a failed test)."""
        self._kill()


# --- helpers -----------------------------------------------------------------------


def unique(prefix: str = "svc") -> str:
    """A service name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def instance_body(
    service_name: str,
    value: str = "10.0.0.1:8080",
    endpoint_type: str = "http",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "service_name": service_name,
        "endpoint": {"type": endpoint_type, "value": value},
        **extra,
    }


def register(
    http: requests.Session,
    server: RegistryServer,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST a registration that must succeed; return the response body."""
    response = http.post(
        server.url("/api/v1/instances"), json=dict(body), headers=dict(headers or {})
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def compact(value: Any) -> bytes:
    """JSON as the registry writes it: compact, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def assert_error(response: requests.Response, status: int, text: str) -> None:
    """Status, JSON content type and the exact ``{"Error": text}`` body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == compact({"Error": text})


def assert_empty(response: requests.Response, status: int = 200) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


JSON_HEADERS = {"Content-Type": "application/json"}


def list_instances(
    http: requests.Session,
    server: RegistryServer,
    query: str = "",
    headers: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    response = http.get(
        server.url(f"/api/v1/instances{query}"), headers=dict(headers or {})
    )
    assert response.status_code == 200, response.text
    instances: list[dict[str, Any]] = response.json()["instances"]
    return instances


def post_raw(http, server, body: bytes | str, headers=None):
    """POST a registration body exactly as given (``str`` is sent UTF-8 encoded)."""
    data = body.encode() if isinstance(body, str) else body
    return http.post(
        server.url("/api/v1/instances"), data=data, headers=headers or JSON_HEADERS
    )


def service_instances(http, server, service_name, headers=None):
    """The instances of one service (all statuses)."""
    return list_instances(http, server, f"?service_name={service_name}", headers)


RFC3339_NANO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 UTC timestamp as Go's RFC3339Nano writes it (to microseconds)."""
    assert RFC3339_NANO.fullmatch(text), text
    main, _, fraction = text[:-1].partition(".")
    stamp = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return stamp + timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0")))


def wait_until(predicate: Any, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --- JWT ---------------------------------------------------------------------------


def make_jwt(
    claims: Mapping[str, Any], secret: str = JWT_SECRET, algorithm: str = "HS256"
) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # InsecureKeyLengthWarning for HS512 etc.
        return jwt.encode(dict(claims), secret, algorithm=algorithm)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(claims: Mapping[str, Any]) -> str:
    """A token with ``alg: none`` and an empty signature, crafted by hand."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(dict(claims)).encode())
    return f"{header}.{payload}."


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` forked (a server's workers), as Linux lists them."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []
