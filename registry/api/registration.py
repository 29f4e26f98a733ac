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

from registry.http.json_bodies import TOO_DEEP, JsonBodyError, loads_json
from registry.store.records import (
    STATUS_OUT_OF_SERVICE,
    STATUS_STARTING,
    STATUS_UP,
    Endpoint,
    InstanceRegistration,
    instance_id,
    stored_json,
)

ENDPOINT_TYPES = frozenset({"tcp", "udp", "http", "https", "user"})
REGISTRATION_STATUSES = (STATUS_UP, STATUS_STARTING, STATUS_OUT_OF_SERVICE)
MAX_TTL_SECONDS = 2**32 - 1

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
    service_name = _typed(members, "service_name", str, "")
    endpoint_members = _endpoint_members(members)
    endpoint = (
        None
        if endpoint_members is None
        else Endpoint(
            _typed(endpoint_members, "type", str, ""),
            _typed(endpoint_members, "value", str, ""),
        )
    )
    ttl = _ttl(members)
    status = _typed(members, "status", str, "")
    tags = _tags(members)
    metadata = _metadata(members)

    if not service_name:
        raise RegistrationError(SERVICE_NAME_REQUIRED)
    if endpoint is None:
        raise RegistrationError(ENDPOINT_REQUIRED)
    if not endpoint.type or not endpoint.value.strip():
        raise RegistrationError(ENDPOINT_INCOMPLETE)
    if endpoint.type not in ENDPOINT_TYPES:
        raise RegistrationError(ENDPOINT_TYPE_INVALID)
    status = status.upper() or STATUS_UP
    if status not in REGISTRATION_STATUSES:
        raise RegistrationError(STATUS_INVALID)
    # Interned: thousands of instances share a few service names, types and tags.
    return InstanceRegistration(
        id=instance_id(service_name, endpoint),
        service_name=sys.intern(service_name),
        endpoint=Endpoint(sys.intern(endpoint.type), endpoint.value),
        status=status,
        ttl=clamp_ttl(ttl),
        metadata=metadata,
        tags=tuple(sys.intern(tag) for tag in tags),
    )


class _Number(str):
    """A JSON number kept as the text it was sent as, so metadata loses nothing."""


def _members(body: bytes) -> dict[str, Any]:
    try:
        # Strict UTF-8 and escapes (rejects lone surrogates), and the nesting limit
        # before the standard library's reader, which recurses, sees the body.
        loads_json(body)
    except JsonBodyError as err:
        if str(err) == TOO_DEEP:
            raise RegistrationError(TOO_DEEP) from err
        raise RegistrationError(REGISTRATION_FAILED) from err
    try:
        value = json.loads(
            body, parse_int=_Number, parse_float=_Number, parse_constant=_reject
        )
    except ValueError as err:  # JSONDecodeError is a ValueError
        raise RegistrationError(REGISTRATION_FAILED) from err
    return _object_members(value)


def _reject(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _object_members(value: Any) -> dict[str, Any]:
    """Members of a JSON object keyed by lower-cased name; ``null`` is ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RegistrationError(REGISTRATION_FAILED)
    return {name.lower(): member for name, member in value.items()}


def _typed(members: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = members.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, _Number):
        raise RegistrationError(REGISTRATION_FAILED)
    return value


def _endpoint_members(members: dict[str, Any]) -> dict[str, Any] | None:
    value = members.get("endpoint")
    return None if value is None else _object_members(value)


def _ttl(members: dict[str, Any]) -> int:
    value = members.get("ttl")
    if value is None:
        return 0
    if not isinstance(value, _Number) or not value.isdigit():
        raise RegistrationError(REGISTRATION_FAILED)  # negative, fraction, not a number
    seconds = int(value)
    if seconds > MAX_TTL_SECONDS:
        raise RegistrationError(REGISTRATION_FAILED)
    return seconds


def _tags(members: dict[str, Any]) -> tuple[str, ...]:
    value = members.get("tags")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(tag, str) and not isinstance(tag, _Number) for tag in value
    ):
        raise RegistrationError(REGISTRATION_FAILED)
    return tuple(value)


def _metadata(members: dict[str, Any]) -> bytes | None:
    """Compact JSON text of the metadata, numbers exactly as they were sent."""
    if "metadata" not in members:
        return None
    return stored_json(_with_raw_numbers(members["metadata"]))


def _with_raw_numbers(value: Any) -> Any:
    if isinstance(value, _Number):
        return orjson.Fragment(str(value))
    if isinstance(value, dict):
        return {name: _with_raw_numbers(member) for name, member in value.items()}
    if isinstance(value, list):
        return [_with_raw_numbers(item) for item in value]
    return value
