"""Cluster membership through a shared directory (spec §10.2), file by file.

Each member owns the file named by its member id (``<ip>:<port>``), mode 0666, one
JSON line ``{"ip":"10.1.2.3","port":6100,"timestamp":"<RFC 3339 nano>"}\\n``,
rewritten every :data:`RENEW_INTERVAL` seconds. A member is alive while its
timestamp is at most :data:`MEMBER_TTL` seconds old. A scan reports who joined and
who left, deletes the files of expired members, and keeps a corrupt file's last
good value until it has been corrupt and untouched for :data:`CORRUPT_GRACE`.

Our nodes and the original's read each other's files: the names, the content and
the timings are the original's. We scan every :data:`SCAN_INTERVAL` (the original
every 5 s, first after 5 s): a cheap directory listing that lets a joining node
see its peers at once.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

import orjson

from replication.wire import WireError, format_time, parse_time

logger = logging.getLogger(__name__)

MEMBER_TTL: Final = 30.0
RENEW_INTERVAL: Final = 7.0
SCAN_INTERVAL: Final = 1.0
CORRUPT_GRACE: Final = 3 * MEMBER_TTL
_NS: Final = 1_000_000_000


class MembershipError(Exception):
    """The cluster directory cannot be used (not a directory, not writable)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One node of the cluster, as its membership file says."""

    ip: str
    port: int
    timestamp_ns: int

    @property
    def id(self) -> str:
        return member_id(self.ip, self.port)


def member_id(ip: str, port: int) -> str:
    """The original's member id (and file name): ``<ip>:<port>``."""
    return f"{ip}:{port}"


def member_file_content(ip: str, port: int, now_ns: int) -> bytes:
    """The one JSON line of a membership file."""
    line = orjson.dumps({"ip": ip, "port": port, "timestamp": format_time(now_ns)})
    return line + b"\n"


def parse_member_file(data: bytes) -> Member:
    """A membership file's content; :class:`WireError` when it is not one."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise WireError("not JSON") from None
    if not isinstance(document, dict):
        raise WireError("not a JSON object")
    ip, port, stamp = (
        document.get("ip"),
        document.get("port"),
        document.get("timestamp"),
    )
    if not isinstance(ip, str) or not ip:
        raise WireError("ip missing or not a string")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise WireError("port missing or not 1-65535")
    if not isinstance(stamp, str):
        raise WireError("timestamp missing or not a string")
    return Member(ip, port, parse_time(stamp))


@dataclass
class ScanResult:
    """What one scan found: the live members (ours included) and the changes."""

    alive: dict[str, Member] = field(default_factory=dict)
    joined: list[Member] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    #: Our own file is missing or expired (we must rewrite it: rejoin).
    self_lost: bool = False


class MembershipDirectory:
    """Our file in the cluster directory, and scans of everyone's."""

    def __init__(
        self,
        path: str,
        ip: str,
        port: int,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.path = Path(path)
        self.self_id = member_id(ip, port)
        self._ip = ip
        self._port = port
        self._clock = clock
        self._known: dict[str, Member] = {}
        self._cache: dict[str, Member] = {}
        self._reported_bad: set[str] = set()
        self.joined = False

    def prepare(self) -> None:
        """Create the directory (mode 0777) if missing; raise
        :class:`MembershipError` if the path is not a directory."""
        try:
            if not self.path.exists():
                self.path.mkdir(parents=True, exist_ok=True)
                os.chmod(self.path, 0o777)
        except OSError as err:
            raise MembershipError(f"cannot create {self.path}: {err}") from err
        if not self.path.is_dir():
            raise MembershipError(f"{self.path} exists and is not a directory")

    def write_self(self) -> None:
        """(Re)write our file with a fresh timestamp: truncate, write, fsync."""
        content = member_file_content(self._ip, self._port, self._clock())
        target = self.path / self.self_id
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        if os.stat(target).st_mode & 0o777 != 0o666:
            os.chmod(target, 0o666)
        self.joined = True

    def remove_self(self) -> None:
        """Delete our file (a clean stop: peers see us leave at their next scan).

        Only once we wrote it: a node that failed to start (its port taken by a
        node configured with the same id, say) leaves the other's file alone."""
        if self.joined:
            self.joined = False
            (self.path / self.self_id).unlink(missing_ok=True)

    def scan(self) -> ScanResult:
        """Read every file; report the live members and who joined or left."""
        now = self._clock()
        result = ScanResult()
        try:
            names = [name for name in os.listdir(self.path) if not name.startswith(".")]
        except OSError as err:
            logger.warning("cannot list the cluster directory %s: %s", self.path, err)
            return result
        present: set[str] = set()
        for name in names:
            member = self._read(name, now)
            if member is None:
                continue
            present.add(name)
            if now - member.timestamp_ns <= MEMBER_TTL * _NS:
                result.alive[name] = member
                if name not in self._known:
                    result.joined.append(member)
                self._known[name] = member
            else:
                self._forget_stale(name, result)
        for name in [name for name in self._known if name not in present]:
            del self._known[name]
            result.left.append(name)
        result.self_lost = self.joined and self.self_id not in result.alive
        return result

    def _read(self, name: str, now: int) -> Member | None:
        """The member a file names: parsed, or its last good value while the file
        is corrupt (deleted once corrupt and untouched for CORRUPT_GRACE)."""
        path = self.path / name
        try:
            data = path.read_bytes()
            mtime = os.stat(path).st_mtime_ns
        except FileNotFoundError:
            return None
        except OSError as err:
            self._report_bad(name, f"unreadable: {err}")
            return self._cache.get(name)
        try:
            member = parse_member_file(data)
        except WireError as err:
            return self._corrupt(name, path, mtime, now, str(err))
        self._cache[name] = member
        self._reported_bad.discard(name)
        return member

    def _corrupt(
        self, name: str, path: Path, mtime: int, now: int, reason: str
    ) -> Member | None:
        if now - mtime >= CORRUPT_GRACE * _NS:
            logger.warning(
                "deleting membership file %s: %s for %ds", path, reason, CORRUPT_GRACE
            )
            path.unlink(missing_ok=True)
            self._cache.pop(name, None)
            self._reported_bad.discard(name)
            return None
        self._report_bad(name, reason)
        cached = self._cache.get(name)
        if cached is not None and mtime > cached.timestamp_ns:
            cached = self._cache[name] = replace(cached, timestamp_ns=mtime)
        return cached

    def _report_bad(self, name: str, reason: str) -> None:
        if name not in self._reported_bad:
            self._reported_bad.add(name)
            logger.warning(
                "membership file %s: %s (last good value kept)",
                self.path / name,
                reason,
            )

    def _forget_stale(self, name: str, result: ScanResult) -> None:
        """An expired member (its file goes, it left) or a phantom (file goes)."""
        if name == self.self_id and self.joined:
            return  # our own: rewritten by the caller (self_lost), never deleted
        (self.path / name).unlink(missing_ok=True)
        self._cache.pop(name, None)
        if self._known.pop(name, None) is not None:
            logger.info("cluster member %s expired", name)
            result.left.append(name)
