"""Start, probe and stop the registry (and a Redis) under test; read RSS and CPU time.

``manage.py runregistry`` runs the HTTP server (granian or gunicorn) in its own
process, so the pid we start is the server's main process; the registry itself
(store, caches, request handling) lives in its worker processes, the main
process's children (one with the in-memory store).
Every process is started here and only ever stopped by the pid started.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import redis

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def runregistry_servers() -> tuple[str, ...]:
    """The HTTP servers ``runregistry`` can run: granian and gunicorn once it has
    ``--server``, else gunicorn only."""
    help_text = subprocess.run(
        [sys.executable, "manage.py", "runregistry", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return ("granian", "gunicorn") if "--server" in help_text else ("gunicorn",)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid``: /proc/<pid>/task/*/children, else a /proc scan."""
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    if found:
        return sorted(set(found))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (ppid) follows the parenthesised command, which may hold spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (``/proc/<pid>/statm``, second field)."""
    resident = Path(f"/proc/{pid}/statm").read_text().split()[1]
    return int(resident) * _PAGE_SIZE


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command: state(3) ppid(4) ... utime(14) stime(15); index = n - 3.
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


#: Extra request headers, as (name, value) pairs.
Headers = Sequence[tuple[str, str]]


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM our own child, wait, SIGKILL it only if it will not go."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_app(
    command: Sequence[str],
    port: int,
    cwd: Path,
    what: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a bare app's server (``command``, listening on ``port``); it accepts
    connections once this returns. Stopped again (by pid) if it never does."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return process
        except OSError:  # not listening yet
            time.sleep(0.1)
    stop_process(process)
    raise RuntimeError(f"{what} did not start")


@dataclass
class Server:
    """One registry started by the benchmark; only ever stopped by its own pid.

    ``threads=None`` leaves the server's default; ``options`` are further
    ``runregistry`` flags (``--store redis ...``); ``workers`` is how many server
    workers those flags make (the benchmark waits for all of them).
    """

    threads: int | None
    log_level: str = "warning"
    options: Sequence[str] = ()
    #: ``--server`` (granian or gunicorn); None: runregistry's only server.
    server: str | None = None
    workers: int = 1
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    @property
    def name(self) -> str:
        return self.server or "gunicorn"

    def start(self, log_dir: Path, attempts: int = 3) -> None:
        """Start on a free loopback port and wait until the API answers."""
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            self.log_path = log_dir / f"server-{self.port}.log"
            self._log = self.log_path.open("wb")
            command = [
                sys.executable,
                "manage.py",
                "runregistry",
                "--api_host",
                HOST,
                "--api_port",
                str(self.port),
                "--log_level",
                self.log_level,
                "--max_ttl",
                "10m",
                *self.options,
            ]
            if self.threads is not None:
                command += ["--threads", str(self.threads)]
            if self.server is not None:
                command += ["--server", self.server]
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            if self._wait_ready(timeout=30.0):
                return
            self.stop()
            if attempt == attempts:
                raise RuntimeError(
                    f"registry did not start; see {self.log_path}:\n{self.log_tail()}"
                )

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                status, _ = self.request("GET", "/api/v1/services", timeout=2.0)
            except OSError:
                time.sleep(0.1)
                continue
            if status == 200:
                return True
            time.sleep(0.1)
        return False

    def worker_pids(self) -> list[int]:
        """The server's workers (the processes that serve requests)."""
        children: list[int] = []
        for _ in range(100):
            children = children_of(self.pid)
            if len(children) >= self.workers:
                return children
            time.sleep(0.1)
        if children:
            return children
        raise RuntimeError(f"no server worker under pid {self.pid}")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        timeout: float = 30.0,
        headers: Headers = (),
    ) -> tuple[int, bytes]:
        """One request on a fresh connection (setup and checks, not load)."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            sent = {"Content-Type": "application/json"} if body is not None else {}
            sent.update(headers)
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    @contextlib.contextmanager
    def running(self, log_dir: Path) -> Iterator[Server]:
        """Start; on the way out print the log's tail after an error, then stop."""
        self.start(log_dir)
        try:
            yield self
        except BaseException:
            print(f"\n--- server log ({self.log_path}), last lines ---")
            print(self.log_tail(40))
            raise
        finally:
            self.stop()
            print(f"\nserver pid {self.pid} stopped (exit {self.process_exit()})")

    def stop(self) -> None:
        """SIGTERM our own pid, wait, SIGKILL it only if it will not go."""
        stop_process(self.process)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def process_exit(self) -> int | None:
        """The server's exit status once stopped (``-15``: SIGTERM, not handled)."""
        return self.process.poll() if self.process is not None else None


@dataclass
class RedisServer:
    """A throw-away ``redis-server`` on a free loopback port, no persistence.

    Only ever stopped by the pid started. ``client`` is a redis-py client on it.
    """

    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _client: Any = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "redis not started"
        return self.process.pid

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def client(self) -> Any:
        assert self._client is not None, "redis not started"
        return self._client

    def start(self, work_dir: Path, attempts: int = 3) -> None:
        for _ in range(attempts):
            self.port = free_port()
            command = ["redis-server", "--port", str(self.port), "--bind", HOST]
            command += ["--save", "", "--appendonly", "no", "--dir", str(work_dir)]
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self._client = redis.Redis(host=HOST, port=self.port, socket_timeout=30)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                with contextlib.suppress(redis.exceptions.ConnectionError):
                    if self._client.ping():
                        return
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("redis-server did not start")

    @contextlib.contextmanager
    def running(self, work_dir: Path) -> Iterator[RedisServer]:
        self.start(work_dir)
        try:
            yield self
        finally:
            self.stop()
            code = self.process.poll() if self.process is not None else None
            print(f"redis-server pid {self.pid} stopped (exit {code})")

    def used_memory(self) -> int:
        """``INFO memory`` ``used_memory``, in bytes."""
        return int(self.client.info("memory")["used_memory"])

    def key_memory(self, pattern: str) -> dict[str, int]:
        """``MEMORY USAGE`` (exact: all samples) of each key matching ``pattern``."""
        return {
            key.decode(): int(self.client.memory_usage(key, samples=0) or 0)
            for key in self.client.scan_iter(match=pattern, count=1000)
        }

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        stop_process(self.process)
