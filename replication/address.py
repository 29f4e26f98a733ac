"""Which address a node advertises (spec §10.1, decision Q23).

The original takes the first non-loopback address of any interface, waiting up
to 2 minutes for one. We do the same unless ``replication_host`` names the
address (containers, tests on loopback).
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

_SIOCGIFADDR: Final = 0x8915
WAIT_FOR_ADDRESS: Final = 120.0


class NoAddressError(Exception):
    """No non-loopback address appeared in time."""


def advertised_address(
    configured: str,
    find: Callable[[], str | None] | None = None,
    wait: float = WAIT_FOR_ADDRESS,
) -> str:
    """``configured``, or the first non-loopback address (polled every 100 ms for
    up to ``wait`` seconds). Raises :class:`NoAddressError`."""
    if configured:
        return configured
    find = find or first_non_loopback_address
    deadline = time.monotonic() + wait
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise NoAddressError(
                "No private network is available within defined timeout"
            )
        time.sleep(0.1)


def first_non_loopback_address() -> str | None:
    """The first IPv4 address of a non-loopback interface, else the first IPv6."""
    for _, name in socket.if_nameindex():
        address = _ipv4_of(name)
        if address is not None and not ipaddress.ip_address(address).is_loopback:
            return address
    return _first_ipv6()


def _ipv4_of(interface: str) -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("256s", interface.encode()[:15])
        try:
            answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, request)
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def _first_ipv6() -> str | None:
    try:
        lines = Path("/proc/net/if_inet6").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[5] == "lo":
            continue
        address = ipaddress.IPv6Address(int(fields[0], 16))
        if not address.is_loopback:
            return str(address)
    return None
