"""Parse and validate a native registration body (spec §5.3, checks 2-8 in order).

Bodies are read with the semantics of the original's Go decoder where clients can
tell: member names match case-insensitively, the last duplicate wins, unknown members
are ignored, a wrong member type fails the whole body, ``null`` is an empty object.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import orjson

from registry.http.fields import FieldSpec
from registry.http.json_bodies import TOO_DEEP, JsonBodyError, loads_json
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
    STATUS_OUT_OF_SERVICE,
    STATUS_STARTING,
    STATUS_UP,
    Endpoint,
    InstanceRegistration,
    instance_id,
    stored_json,
)

# --- the body, as this parser reads it (and the OpenAPI description says) ---------

ENDPOINT_TYPE = FieldSpec(
    "type",
    "string",
    "Exactly one of the listed values (case-sensitive).",
    required=True,
    blank=False,
    choices=("http", "https", "tcp", "udp", "user"),
)
ENDPOINT_VALUE = FieldSpec(
    "value",
    "string",
    f"Free format (`host:port`, a URL, ...), not trimmed; must not be empty or "
    f"whitespace only; at most {MAX_ENDPOINT_VALUE_BYTES} bytes of UTF-8.",
    required=True,
    blank=False,
    max_bytes=MAX_ENDPOINT_VALUE_BYTES,
)
SERVICE_NAME = FieldSpec(
    "service_name",
    "string",
    f"Any characters, at most {MAX_SERVICE_NAME_BYTES} bytes of UTF-8. Names "
    f"containing `/` can be registered but not looked up by path.",
    required=True,
    blank=False,
    max_bytes=MAX_SERVICE_NAME_BYTES,
)
ENDPOINT = FieldSpec(
    "endpoint",
    "object",
    "Where the instance is reached. Its member names match case-insensitively too.",
    required=True,
    members=(ENDPOINT_TYPE, ENDPOINT_VALUE),
)
TTL = FieldSpec(
    "ttl",
    "integer",
    "Requested time to live in whole seconds. Absent, `null` or 0: the server's "
    "`default_ttl` (30 s unless configured). Otherwise clamped into [`min_ttl`, "
    "`max_ttl`] (10 s and 10 min unless configured), never rejected for being out of "
    "that range. The granted TTL is in the response.",
    nullable=True,
    minimum=0,
    maximum=2**32 - 1,
)
STATUS = FieldSpec(
    "status",
    "string",
    "`UP`, `STARTING` or `OUT_OF_SERVICE`, matched case-insensitively (`up`, `Up` "
    "...) and stored upper-case; absent, `null` or empty means `UP`. `STARTING` and "
    "`OUT_OF_SERVICE` instances are hidden from the default listing; `OUT_OF_SERVICE` "
    "ones never expire.",
    nullable=True,
    choices=(STATUS_UP, STATUS_STARTING, STATUS_OUT_OF_SERVICE),
    case_insensitive=True,
)
METADATA = FieldSpec(
    "metadata",
    "any",
    f"Any JSON value (object, array, string, number, boolean or null), stored and "
    f"returned as compact JSON; at most {MAX_METADATA_BYTES} bytes of compact JSON "
    f"(UTF-8), else 400.",
    max_bytes=MAX_METADATA_BYTES,
)
TAGS = FieldSpec(
    "tags",
    "array",
    "Stored as given: order and duplicates are kept; `null` is none.",
    nullable=True,
)
#: The members of a registration body.
REGISTRATION_FIELDS = (SERVICE_NAME, ENDPOINT, TTL, STATUS, METADATA, TAGS)
REGISTRATION_DOC = """The body of `POST /api/v1/instances`.

Member names match case-insensitively (`Service_Name` fills `service_name`), the
last of duplicate members wins, unknown members are ignored, and the literal `null`
counts as an empty object. A member of the wrong JSON type fails the whole body."""

# Derived names other modules use.
ENDPOINT_TYPES = frozenset(ENDPOINT_TYPE.choices or ())
REGISTRATION_STATUSES = STATUS.choices or ()
MAX_TTL_SECONDS = TTL.maximum

REGISTRATION_FAILED = "Failed to register instance"
SERVICE_NAME_REQUIRED = "Service name is required"
ENDPOINT_REQUIRED = "Instance endpoint is required"
ENDPOINT_INCOMPLETE = "Endpoint type or value are missing"
ENDPOINT_TYPE_INVALID = "Endpoint type is invalid"
STATUS_INVALID = "Valid statuses are: UP, STARTING, OUT_OF_SERVICE"


class RegistrationError(ValueError):
    """The body cannot be registered; ``str(err)`` is the client-facing text."""


def parse_registration(
    body: bytes, clamp_ttl: Callable[[int], int]
) -> InstanceRegistration:
    """The registration a body asks for, its requested TTL passed through ``clamp_ttl``.

    Raises :class:`RegistrationError` with the text of the first failing check.
    """
    members = _members(body)
    # Check 2: every member present must have its type before any other check.
    service_name = _string(members, SERVICE_NAME)
    endpoint_members = _endpoint_members(members)
    # Interned: thousands of instances share a few service names, types and tags.
    endpoint = (
        None
        if endpoint_members is None
        else Endpoint(
            sys.intern(_string(endpoint_members, ENDPOINT_TYPE)),
            _string(endpoint_members, ENDPOINT_VALUE),
        )
    )
    ttl = _ttl(members)
    requested_status = _string(members, STATUS)
    tags = _tags(members)
    metadata = _metadata(members)

    if not service_name:
        raise RegistrationError(SERVICE_NAME_REQUIRED)
    if endpoint is None:
        raise RegistrationError(ENDPOINT_REQUIRED)
    if not endpoint.type or not endpoint.value.strip():
        raise RegistrationError(ENDPOINT_INCOMPLETE)
    if ENDPOINT_TYPE.accepts_choice(endpoint.type) is None:
        raise RegistrationError(ENDPOINT_TYPE_INVALID)
    status = STATUS.accepts_choice(requested_status) if requested_status else STATUS_UP
    if status is None:
        raise RegistrationError(STATUS_INVALID)
    return InstanceRegistration(
        id=instance_id(service_name, endpoint),
        service_name=sys.intern(service_name),
        endpoint=endpoint,
        status=status,
        ttl=clamp_ttl(ttl),
        metadata=metadata,
        tags=tuple(map(sys.intern, tags)),
    )


class _Number(str):
    """A JSON number kept as the text it was sent as, so metadata loses nothing."""


def _members(body: bytes) -> dict[str, Any]:
    """The body's members by lower-cased name, read once on the common path.

    orjson's reading equals the standard library's (strict UTF-8, no BOM, the same
    values and member order, the last duplicate winning) except that a number comes
    back as an ``int`` or ``float`` instead of its text. Only ``ttl`` and
    ``metadata`` need that text (elsewhere any number is a wrong type); when they
    hold only integers whose text is ``str(value)``, orjson's values are used, else
    the body is read again with every number kept as text (:class:`_Number`).
    Either way ``metadata`` comes back ready for :func:`stored_json`.
    """
    try:
        # Strict UTF-8 and escapes (rejects lone surrogates), and the nesting limit
        # before the standard library's reader, which recurses, sees the body.
        value = loads_json(body)
    except JsonBodyError as err:
        if str(err) == TOO_DEEP:
            raise RegistrationError(TOO_DEEP) from err
        raise RegistrationError(REGISTRATION_FAILED) from err
    members = _object_members(value)
    if _texts_kept(members.get(TTL.name), body) and _texts_kept(
        members.get(METADATA.name), body
    ):
        return members
    members = _object_members(_loads_numbers_as_sent(body))
    if METADATA.name in members:
        members[METADATA.name] = _with_raw_numbers(members[METADATA.name])
    return members


def _texts_kept(value: Any, body: bytes) -> bool:
    """Whether orjson writes every number in ``value`` (as orjson read it) back
    exactly as it was sent.

    An ``int`` came from an integer literal, which JSON spells without ``+`` or
    leading zeros: its text is ``str(value)``, except ``-0``, ruled out when the
    body has no ``-0`` at all. A ``float``'s text is lost (``1.0``, ``1e3``, and
    integers past 64 bits).
    """
    kind = type(value)
    if kind is dict:
        return all(_texts_kept(member, body) for member in value.values())
    if kind is list:
        return all(_texts_kept(item, body) for item in value)
    if kind is int:
        return value != 0 or b"-0" not in body
    return kind is not float


def _loads_numbers_as_sent(body: bytes) -> Any:
    """The body, already accepted by :func:`loads_json`, numbers as :class:`_Number`.

    Refused (:class:`RegistrationError`) only if the standard library refuses what
    orjson accepted, which no body is known to make it do.
    """
    try:
        return json.loads(
            body, parse_int=_Number, parse_float=_Number, parse_constant=_reject
        )
    except ValueError as err:  # JSONDecodeError is a ValueError
        raise RegistrationError(REGISTRATION_FAILED) from err


def _reject(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _object_members(value: Any) -> dict[str, Any]:
    """Members of a JSON object keyed by lower-cased name; ``null`` is ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RegistrationError(REGISTRATION_FAILED)
    return {name.lower(): member for name, member in value.items()}


def _string(members: dict[str, Any], spec: FieldSpec) -> str:
    """A string member; absent or ``null``: ``""``."""
    value = members.get(spec.name)
    if value is None:
        return ""
    if not isinstance(value, str) or isinstance(value, _Number):
        raise RegistrationError(REGISTRATION_FAILED)
    return value


def _endpoint_members(members: dict[str, Any]) -> dict[str, Any] | None:
    value = members.get(ENDPOINT.name)
    return None if value is None else _object_members(value)


def _ttl(members: dict[str, Any]) -> int:
    value = members.get(TTL.name)
    if value is None:
        return 0
    if type(value) is int:  # as orjson read it; _members made sure of its text
        value = _Number(value)
    if not isinstance(value, _Number) or not value.lstrip("-").isdigit():
        raise RegistrationError(REGISTRATION_FAILED)  # a fraction, not a number
    seconds = int(value)
    # Out of the table's range; "-0" too, as the original's unsigned decoder says.
    if not TTL.in_range(seconds) or value == "-0":
        raise RegistrationError(REGISTRATION_FAILED)
    return seconds


def _tags(members: dict[str, Any]) -> tuple[str, ...]:
    value = members.get(TAGS.name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(tag, str) and not isinstance(tag, _Number) for tag in value
    ):
        raise RegistrationError(REGISTRATION_FAILED)
    return tuple(value)


def _metadata(members: dict[str, Any]) -> bytes | None:
    """Compact JSON text of the metadata, numbers exactly as they were sent."""
    if METADATA.name not in members:
        return None
    return stored_json(members[METADATA.name])


def _with_raw_numbers(value: Any) -> Any:
    if isinstance(value, _Number):
        return orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {name: _with_raw_numbers(member) for name, member in value.items()}
    if isinstance(value, list):
        return [_with_raw_numbers(item) for item in value]
    return value
