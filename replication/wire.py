"""The original's replication bytes (spec §10.3), both ways.

* Store-instance JSON: ``{"ID":...,"ServiceName":...,"Endpoint":{"Type","Value"},
  "Status","Metadata" (base64 or null),"RegistrationTime","LastRenewal" (RFC 3339
  with nanoseconds, Go's trimming),"TTL" (nanoseconds),"Tags","Extension"}``.
* A message: ``{"RepType": <int>, "Payload": "<base64>"}``, carried base64-encoded
  in an event's data: ``{"Namespace": "<ns>", "Data": "<base64(message)>"}``.
* Server-Sent-Events frames: ``id:``, ``event:``, ``data:`` lines (each left out
  when empty), an empty line ends the event; ``:`` lines are comments.

Everything that parses raises :class:`WireError` (one line, says what is wrong)
on bad input; nothing here touches a store.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import re
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import orjson

from registry.store.records import Endpoint, InstanceRegistration, ServiceInstance

#: What our Eureka API keeps as an instance's extension starts with this (the
#: Eureka document); see ``eureka_compat.instances.EXTENSION_PREFIX``.
EUREKA_EXTENSION_PREFIX: Final = b'{"instanceId":'
_NS_PER_SECOND: Final = 1_000_000_000


class WireError(ValueError):
    """Bytes that are not what the protocol says (the message names the part)."""


class RepType(enum.IntEnum):
    """The message types of spec §10.3."""

    REGISTER = 0
    DEREGISTER = 1
    RENEW = 2
    SETSTATUS = 3
    READREPAIR = 4


@dataclass(frozen=True, slots=True)
class Message:
    """One replication message of one namespace; ``payload`` is the raw bytes."""

    namespace: str
    kind: RepType
    payload: bytes


@dataclass(frozen=True, slots=True)
class ReplicatedInstance:
    """A store instance as another node sent it."""

    registration: InstanceRegistration
    registration_ns: int
    last_renewal_ns: int


# --- times ---------------------------------------------------------------------

_EPOCH_DAY: Final = date(1970, 1, 1).toordinal()
_TIME: Final = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
    r"(Z|([+-])(\d\d):(\d\d))",
    re.ASCII,
)


def format_time(ns: int) -> str:
    """Go's ``RFC3339Nano`` in UTC: trailing zeros of the fraction trimmed."""
    seconds, fraction = divmod(ns, _NS_PER_SECOND)
    stamp = _stamp(seconds)
    if fraction:
        stamp += "." + f"{fraction:09d}".rstrip("0")
    return stamp + "Z"


@functools.lru_cache(maxsize=4096)
def _stamp(seconds: int) -> str:
    t = time.gmtime(seconds)
    return f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}"


def parse_time(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time (any offset, 0-9 digits)."""
    # The common form first (UTC with a fraction, as ours and Go's RFC3339Nano
    # write it): a joining node parses two per instance, and the whole second
    # is shared by many of them.
    if text[-1:] == "Z" and text[19:20] == ".":
        fraction = text[20:-1]
        whole = _utc_seconds(text[:19])
        digits = 0 < len(fraction) <= 9 and fraction.isascii() and fraction.isdigit()
        if whole is not None and digits:
            return whole * _NS_PER_SECOND + int(fraction.ljust(9, "0"))
    match = _TIME.fullmatch(text)
    if match is None:
        raise WireError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone, sign, zh, zm = (
        match.groups()
    )
    whole = _seconds(year, month, day, hour, minute, second)
    if whole is None:
        raise WireError(f"not an RFC 3339 time: {text!r}")
    if zone != "Z":
        offset = int(zh) * 3600 + int(zm) * 60
        whole -= offset if sign == "+" else -offset
    return whole * _NS_PER_SECOND + int((fraction or "0").ljust(9, "0"))


@functools.lru_cache(maxsize=4096)
def _utc_seconds(stamp: str) -> int | None:
    """Seconds since the epoch of ``YYYY-MM-DDTHH:MM:SS`` (UTC), ``None`` if not."""
    match = _TIME.fullmatch(stamp + "Z")
    return None if match is None else _seconds(*match.groups()[:6])


@functools.lru_cache(maxsize=4096)
def _seconds(
    year: str, month: str, day: str, hour: str, minute: str, second: str
) -> int | None:
    """Seconds since the epoch of a UTC date and time, ``None`` if out of range
    (cached: a snapshot's instances mostly share their dates)."""
    try:
        days = date(int(year), int(month), int(day)).toordinal() - _EPOCH_DAY
    except ValueError:
        return None
    if int(hour) > 23 or int(minute) > 59 or int(second) > 60:
        return None
    return days * 86_400 + int(hour) * 3600 + int(minute) * 60 + int(second)


# --- store-instance JSON ---------------------------------------------------------


def instance_json(record: ServiceInstance) -> bytes:
    """The store-instance JSON of ``record`` (spec §10.3, field order kept)."""
    return orjson.dumps(instance_document(record))


def instance_document(record: ServiceInstance) -> dict[str, Any]:
    """The store-instance JSON of ``record`` as a dict (see :func:`instance_json`)."""
    return {
        "ID": record.id,
        "ServiceName": record.service_name,
        "Endpoint": {"Type": record.endpoint.type, "Value": record.endpoint.value},
        "Status": record.status,
        "Metadata": _b64(record.metadata) if record.metadata is not None else None,
        "RegistrationTime": format_time(record.registration_ns),
        "LastRenewal": format_time(record.last_renewal_ns),
        "TTL": record.ttl * _NS_PER_SECOND,
        "Tags": list(record.tags) if record.tags else None,
        "Extension": _extension_map(record.extension),
    }


def parse_instance(payload: bytes) -> ReplicatedInstance:
    """A store instance from its JSON; :class:`WireError` when it is not one."""
    return instance_from_document(_json_object(payload, "store instance"))


def instance_from_document(document: Any) -> ReplicatedInstance:
    """A store instance from its parsed JSON; :class:`WireError` if it is not one."""
    if type(document) is not dict:
        raise WireError("store instance is not a JSON object")
    # One lookup per field and exact type checks: a snapshot parses this once per
    # instance, so it is the hot path of a joining node.
    try:
        endpoint = document["Endpoint"]
        texts = (
            document["ID"],
            document["ServiceName"],
            endpoint["Type"],
            endpoint["Value"],
            document["Status"],
            document["RegistrationTime"],
            document["LastRenewal"],
        )
        ttl_ns = document["TTL"]
    except (KeyError, TypeError) as err:
        raise WireError(f"store instance without a valid {err}") from None
    if any(type(text) is not str for text in texts) or type(ttl_ns) is not int:
        raise WireError("store instance field of the wrong type")
    iid, service, kind, value, status, registered, renewed = texts
    tags = document.get("Tags") or []
    if type(tags) is not list or any(type(tag) is not str for tag in tags):
        raise WireError("store instance Tags is not a list of strings")
    metadata = document.get("Metadata")
    registration = InstanceRegistration(
        iid,
        service,
        Endpoint(kind, value),
        status,
        max(0, ttl_ns // _NS_PER_SECOND),
        None if metadata is None else _unb64(metadata, "Metadata"),
        tuple(tags),
        _extension_bytes(document.get("Extension")),
    )
    return ReplicatedInstance(registration, parse_time(registered), parse_time(renewed))


def _extension_map(extension: bytes | None) -> dict[str, Any] | None:
    """Our extension as the original's ``Extension`` map: the Eureka document's
    text under ``eureka`` and its ``vipAddress``, as the original keeps them."""
    if extension is None:
        return None
    text = extension.decode()
    mapped: dict[str, Any] = {"eureka": text}
    if extension.startswith(EUREKA_EXTENSION_PREFIX):
        vip = orjson.loads(extension).get("vipAddress")
        if isinstance(vip, str):
            mapped["vipAddress"] = vip
    return mapped


def _extension_bytes(value: Any) -> bytes | None:
    """The ``Extension`` map back to our bytes: a Eureka document written by one of
    ours round-trips exactly; anything else (an original node's own Eureka
    structure) is not a document our Eureka API can read, so it is not kept."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise WireError("store instance Extension is not an object")
    text = value.get("eureka")
    if isinstance(text, str) and text.encode().startswith(EUREKA_EXTENSION_PREFIX):
        return text.encode()
    return None


# --- messages ----------------------------------------------------------------------


def event_data(message: Message) -> bytes:
    """An event's ``data``: the namespace and the base64 of the inner message."""
    inner = orjson.dumps(
        {"RepType": int(message.kind), "Payload": _b64(message.payload)}
    )
    return orjson.dumps({"Namespace": message.namespace, "Data": _b64(inner)})


def parse_event_data(data: bytes) -> Message:
    """The message in an event's ``data``; :class:`WireError` when malformed."""
    outer = _json_object(data, "event data")
    namespace = _field(outer, "Namespace", str)
    inner = _json_object(_unb64(_field(outer, "Data", str), "Data"), "message")
    kind = _field(inner, "RepType", int)
    try:
        rep_type = RepType(kind)
    except ValueError:
        raise WireError(f"unknown RepType {kind}") from None
    payload = inner.get("Payload")
    return Message(namespace, rep_type, _unb64(payload, "Payload") if payload else b"")


def snapshot_data(namespace: str, records: list[ServiceInstance]) -> bytes:
    """Our ``SNAPSHOT`` event's data: many store instances of one namespace at once
    (a joining node's full state costs one envelope per batch, not per instance)."""
    documents = [instance_document(record) for record in records]
    return orjson.dumps({"Namespace": namespace, "Instances": documents})


def parse_snapshot_data(data: bytes) -> tuple[str, list[Any]]:
    """``(namespace, instance documents)`` of a ``SNAPSHOT`` event's data; each
    document is checked by :func:`instance_from_document` when applied."""
    document = _json_object(data, "snapshot data")
    instances = document.get("Instances")
    if not isinstance(instances, list):
        raise WireError("snapshot data without an Instances list")
    return _field(document, "Namespace", str), instances


def status_payload(instance_id: str, status: str) -> bytes:
    """A SETSTATUS payload."""
    return orjson.dumps({"InstanceID": instance_id, "Status": status})


def parse_status_payload(payload: bytes) -> tuple[str, str]:
    """``(instance id, status)`` of a SETSTATUS payload."""
    document = _json_object(payload, "SETSTATUS payload")
    return _field(document, "InstanceID", str), _field(document, "Status", str)


# --- Server-Sent Events --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event: its id, type and data (``data`` lines joined)."""

    id: str
    event: str
    data: bytes


def frame(event: str, data: bytes, event_id: str = "") -> bytes:
    """One event as the original frames it; empty fields are left out and data
    with newlines becomes several ``data:`` lines."""
    parts = []
    if event_id:
        parts.append(b"id: " + event_id.encode())
    if event:
        parts.append(b"event: " + event.encode())
    if data:
        parts.extend(b"data: " + line for line in data.split(b"\n"))
    return b"\n".join(parts) + b"\n\n"


#: A comment line: keeps an idle stream alive; every reader skips it.
KEEPALIVE: Final = b":\n"


class SseParser:
    """Bytes of an event stream in, whole events out (chunks may split lines)."""

    def __init__(self) -> None:
        self._pending = b""
        self._id = ""
        self._event = ""
        self._data: list[bytes] = []
        #: The last ``retry:`` value (milliseconds), if the server sent one.
        self.retry_ms: int | None = None

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events that ``chunk`` completes."""
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        events: list[SseEvent] = []
        for line in lines:
            event = self._line(line.removesuffix(b"\r"))
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: bytes) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        value = value.removeprefix(b" ")
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode(errors="replace")
        elif name == b"id":
            self._id = value.decode(errors="replace")
        elif name == b"retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        if not self._data and not self._event:
            return None
        event = SseEvent(self._id, self._event, b"\n".join(self._data))
        self._id, self._event, self._data = "", "", []
        return event


# --- helpers -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise WireError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise WireError(f"{what} is not valid base64") from None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise WireError(f"{what} is not JSON") from None
    if not isinstance(document, dict):
        raise WireError(f"{what} is not a JSON object")
    return document


def _field(document: dict[str, Any], name: str, kind: type[Any]) -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise WireError(f"{name} missing or not a {kind.__name__}")
    return value
