"""Start, probe and stop the registry under test; read its worker's RSS and CPU time.

``manage.py runregistry`` execs gunicorn in place, so the pid we start is the
gunicorn master; the registry itself (store, caches, request handling) lives in
its one worker process, the master's child.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


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


@dataclass
class Server:
    """One registry started by the benchmark; only ever stopped by its own pid."""

    threads: int
    log_level: str = "warning"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

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
                "--threads",
                str(self.threads),
                "--log_level",
                self.log_level,
                "--max_ttl",
                "10m",
            ]
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

    def worker_pid(self) -> int:
        """The gunicorn worker (the process holding the store)."""
        for _ in range(50):
            children = children_of(self.pid)
            if children:
                return children[0]
            time.sleep(0.1)
        raise RuntimeError(f"no gunicorn worker under pid {self.pid}")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, bytes]:
        """One request on a fresh connection (setup and checks, not load)."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        """SIGTERM our own pid, wait, SIGKILL it only if it will not go."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
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
