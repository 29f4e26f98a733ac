"""Membership through the shared directory (spec §10.2), with a clock the tests move."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from replication.members import (
    CORRUPT_GRACE,
    MEMBER_TTL,
    MembershipDirectory,
    MembershipError,
    member_file_content,
    parse_member_file,
)
from replication.wire import WireError

SPEC_NS = 1488362400_123456789
S = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = SPEC_NS

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def directory(path, clock, port=6100, ip="10.1.2.3") -> MembershipDirectory:
    return MembershipDirectory(str(path), ip, port, clock)


def write_member(path, name: str, ip: str, port: int, at_ns: int) -> None:
    (path / name).write_bytes(member_file_content(ip, port, at_ns))
    os.utime(path / name, ns=(at_ns, at_ns))


def test_the_member_file_is_the_spec_line():
    assert member_file_content("10.1.2.3", 6100, SPEC_NS) == (
        b'{"ip":"10.1.2.3","port":6100,"timestamp":"2017-03-01T10:00:00.123456789Z"}\n'
    )
    member = parse_member_file(member_file_content("10.1.2.3", 6100, SPEC_NS))
    assert (member.id, member.timestamp_ns) == ("10.1.2.3:6100", SPEC_NS)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[]",
        b'{"ip":"10.1.2.3","port":"6100","timestamp":"2017-03-01T10:00:00Z"}',
        b'{"ip":"10.1.2.3","port":0,"timestamp":"2017-03-01T10:00:00Z"}',
        b'{"ip":"","port":6100,"timestamp":"2017-03-01T10:00:00Z"}',
        b'{"ip":"10.1.2.3","port":6100,"timestamp":"now"}',
    ],
)
def test_bad_member_files_are_wire_errors(content):
    with pytest.raises(WireError):
        parse_member_file(content)


def test_our_file_has_the_spec_name_mode_and_content(tmp_path, clock):
    cluster = tmp_path / "cluster"
    ours = directory(cluster, clock)
    ours.prepare()
    assert stat.S_IMODE(os.stat(cluster).st_mode) == 0o777
    ours.write_self()
    path = cluster / "10.1.2.3:6100"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
    assert path.read_bytes() == member_file_content("10.1.2.3", 6100, SPEC_NS)
    clock.now += 7 * S
    ours.write_self()
    assert path.read_bytes() == member_file_content("10.1.2.3", 6100, clock.now)
    ours.remove_self()
    assert not path.exists()
    path.write_bytes(member_file_content("10.1.2.3", 6100, clock.now))
    directory(cluster, clock).remove_self()  # never joined: not its file to remove
    assert path.exists()


def test_a_path_that_is_a_file_cannot_be_the_directory(tmp_path, clock):
    (tmp_path / "file").write_text("x")
    with pytest.raises(MembershipError, match="not a directory"):
        directory(tmp_path / "file", clock).prepare()


def test_members_join_stay_and_leave(tmp_path, clock):
    ours = directory(tmp_path, clock)
    ours.write_self()
    write_member(tmp_path, "10.1.2.4:6100", "10.1.2.4", 6100, clock.now)
    first = ours.scan()
    assert sorted(first.alive) == ["10.1.2.3:6100", "10.1.2.4:6100"]
    assert sorted(member.id for member in first.joined) == sorted(first.alive)
    assert ours.scan().joined == []
    (tmp_path / "10.1.2.4:6100").unlink()
    assert ours.scan().left == ["10.1.2.4:6100"]


def test_an_expired_member_is_deleted_and_leaves(tmp_path, clock):
    ours = directory(tmp_path, clock)
    ours.write_self()
    write_member(tmp_path, "10.1.2.4:6100", "10.1.2.4", 6100, clock.now)
    ours.scan()
    clock.now += int(MEMBER_TTL * S)
    ours.write_self()
    assert "10.1.2.4:6100" in ours.scan().alive  # exactly 30 s old: still alive
    clock.now += 1
    result = ours.scan()
    assert result.left == ["10.1.2.4:6100"]
    assert not (tmp_path / "10.1.2.4:6100").exists()
    assert not result.self_lost


def test_a_phantom_is_deleted_silently(tmp_path, clock):
    write_member(tmp_path, "10.9.9.9:6100", "10.9.9.9", 6100, clock.now - 31 * S)
    result = directory(tmp_path, clock).scan()
    assert (result.alive, result.joined, result.left) == ({}, [], [])
    assert not (tmp_path / "10.9.9.9:6100").exists()


def test_a_corrupt_file_keeps_its_last_good_value_then_goes(tmp_path, clock, caplog):
    ours = directory(tmp_path, clock)
    write_member(tmp_path, "10.1.2.4:6100", "10.1.2.4", 6100, clock.now)
    ours.scan()
    (tmp_path / "10.1.2.4:6100").write_bytes(b'{"ip":')
    os.utime(tmp_path / "10.1.2.4:6100", ns=(clock.now + 5 * S,) * 2)
    clock.now += 20 * S
    with caplog.at_level(logging.WARNING, logger="replication.members"):
        assert "10.1.2.4:6100" in ours.scan().alive
        assert "10.1.2.4:6100" in ours.scan().alive  # mtime bumped: 15 s old
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings
    assert "10.1.2.4:6100" in warnings[0]
    clock.now += int(CORRUPT_GRACE * S)
    result = ours.scan()
    assert result.left == ["10.1.2.4:6100"]
    assert not (tmp_path / "10.1.2.4:6100").exists()


def test_we_notice_our_own_file_is_gone(tmp_path, clock):
    ours = directory(tmp_path, clock)
    assert not ours.scan().self_lost  # not joined yet
    ours.write_self()
    (tmp_path / "10.1.2.3:6100").unlink()
    assert ours.scan().self_lost
    ours.write_self()
    clock.now += 31 * S
    result = ours.scan()
    assert result.self_lost
    assert (tmp_path / "10.1.2.3:6100").exists()  # ours is never deleted by us


def test_dot_files_are_not_members(tmp_path, clock):
    (tmp_path / ".tmp").write_text("junk")
    assert directory(tmp_path, clock).scan().alive == {}
    assert (tmp_path / ".tmp").exists()
