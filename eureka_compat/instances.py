"""Eureka instance documents <-> the store's records (registry-spec §6.3 as fixed by
decisions.md).

A registration's Eureka-only data (ports, data centre, URLs, VIPs, override, ...)
is kept in the record's ``extension`` as compact JSON; status, metadata, TTL and the
lease times live in the record itself, so both APIs see one instance. Natively
registered instances are shown with a document derived from their endpoint.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from eureka_compat.fields import (
    AMAZON_INSTANCE_ID,
    APP,
    ASG_NAME,
    COUNTRY_ID,
    DATA_CENTER_INFO,
    DATA_CENTER_METADATA,
    DATA_CENTER_NAME,
    DATA_CENTER_NAMES,
    DURATION,
    HOST_NAME,
    INSTANCE,
    INSTANCE_ID,
    IP_ADDR,
    LAST_DIRTY_TIMESTAMP,
    LEASE_INFO,
    METADATA,
    OVERRIDDEN_STATUS,
    OVERRIDDEN_STATUS_NAMES,
    PORT,
    RENEWAL_INTERVAL,
    SECURE_PORT,
    SID,
    SID_UNSET,
    SOFTLAYER_ID,
    STATUS,
    STATUS_NAMES,
    TAGS_METADATA_KEY,
    VERBATIM_TEXT,
)
from eureka_compat.statuses import UNKNOWN, effective_status
from registry.http.fields import FieldSpec
from registry.store.records import (
    Endpoint,
    InstanceRegistration,
    ServiceInstance,
    stored_json,
)

DEFAULT_RENEWAL_INTERVAL_SECONDS: int = RENEWAL_INTERVAL.default
DEFAULT_DATA_CENTER_CLASS = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"
AMAZON_DATA_CENTER_CLASS = "com.netflix.appinfo.AmazonInfo"
EMPTY_METADATA = {"@class": "java.util.Collections$EmptyMap"}
#: Kept in a registration's extension when the status the instance reported is
#: not the one stored (an override applied), so the rule chain can run again.
REPORTED_STATUS_KEY = "reportedStatus"
#: Every extension the Eureka API writes starts so (``instanceId`` comes first).
EXTENSION_PREFIX = b'{"instanceId":'
#: Members an extension leaves out when they hold these values (Eureka's defaults,
#: which most registrations send): about 200 bytes per instance, kept once here.
#: Readers take a missing member from here (:func:`extension_member`). Three more
#: are left out when they repeat what is known otherwise (:func:`stored_extension`).
EXTENSION_DEFAULTS: dict[str, Any] = {
    "overriddenstatus": UNKNOWN,
    "securePort": {"$": 443, "@enabled": "false"},
    "countryId": 1,
    "dataCenterInfo": {"@class": DEFAULT_DATA_CENTER_CLASS, "name": "MyOwn"},
    "renewalIntervalInSecs": DEFAULT_RENEWAL_INTERVAL_SECONDS,
}

#: The defaults above that are immutable, for readers that need no copy.
DEFAULT_OVERRIDE: str = EXTENSION_DEFAULTS["overriddenstatus"]
DEFAULT_COUNTRY: int = EXTENSION_DEFAULTS["countryId"]

#: Members kept verbatim (strings) from a registration, in output order.
TEXT_MEMBERS = tuple(spec.name for spec in VERBATIM_TEXT)
#: Every member kept verbatim, in the order a registration's extension has them.
_KEPT_TEXT = (*VERBATIM_TEXT, SID, ASG_NAME)
_OVERRIDE_NAMES = (OVERRIDDEN_STATUS.name, *OVERRIDDEN_STATUS.aliases)


class EurekaRegistrationError(ValueError):
    """A registration Eureka would refuse; ``str(err)`` is the 400's text."""


@dataclass(frozen=True)
class EurekaRegistration:
    """A parsed registration: what to store, and Eureka's dirty timestamp."""

    registration: InstanceRegistration
    last_dirty_ms: int


def store_id(app: str, instance_id: str) -> str:
    """Store id of a Eureka registration: ``<APP>:<instanceId>`` (spec §4.2)."""
    return f"{app.upper()}:{instance_id}"


def parse_registration(
    document: Mapping[str, Any],
    path_app: str,
    clamp_ttl: Callable[[int], int],
    now_ms: int,
) -> EurekaRegistration:
    """Validate a ``{"instance": {...}}`` tree as Eureka does (eureka-api.md §4.1).

    The result is what a first registration stores; what survives from an
    instance it replaces (override, service-up time, the newer copy) is decided by
    :class:`eureka_compat.rules.EurekaRegistrationRule` inside the store. Raises
    :class:`EurekaRegistrationError`.
    """
    body = document.get(INSTANCE.name)
    if not isinstance(body, Mapping):
        raise EurekaRegistrationError(f"Missing {INSTANCE.name}")
    host = _text(body.get(HOST_NAME.name))
    instance_id = _text(body.get(INSTANCE_ID.name)) or _derived_id(body, host)
    app = _text(body.get(APP.name)).upper()
    ip_address = _text(body.get(IP_ADDR.name))
    data_center = body.get(DATA_CENTER_INFO.name)
    for missing, name in (
        (not instance_id, INSTANCE_ID.name),
        (not host, HOST_NAME.name),
        (not ip_address, IP_ADDR.name),
        (not app, APP.name),
    ):
        if missing:
            raise EurekaRegistrationError(f"Missing {name}")
    if app != path_app.upper():
        raise EurekaRegistrationError(
            f"Mismatched appName, expecting {path_app.upper()} but was {app}"
        )
    if not isinstance(data_center, Mapping):
        raise EurekaRegistrationError(f"Missing {DATA_CENTER_INFO.name}")
    data_center_name = _text(data_center.get(DATA_CENTER_NAME.name))
    if not data_center_name:
        raise EurekaRegistrationError("Missing dataCenterInfo Name")
    if data_center_name.lower() not in DATA_CENTER_NAMES:
        raise EurekaRegistrationError("Unknown dataCenterInfo name")
    if not isinstance(body.get(METADATA.name), Mapping | None):
        raise EurekaRegistrationError(f"{METADATA.name} is not an object")

    port = _port(body.get(PORT.name), PORT)
    secure_port = _port(body.get(SECURE_PORT.name), SECURE_PORT)
    lease = body.get(LEASE_INFO.name)
    if not isinstance(lease, Mapping):
        lease = {}
    # 0 asks for the default too.
    duration = _number(lease.get(DURATION.name), DURATION, LEASE_INFO) or int(
        DURATION.default
    )
    metadata = _metadata(body.get(METADATA.name))
    override = _override(body)
    own_status = read_status(body.get(STATUS.name), STATUS, STATUS_NAMES)
    status = effective_status(own_status, override, None)
    last_dirty = _number(
        body.get(LAST_DIRTY_TIMESTAMP.name), LAST_DIRTY_TIMESTAMP, default=now_ms
    )
    extension: dict[str, Any] = {
        "instanceId": instance_id,
        "hostName": host,
        "app": app,
        "ipAddr": ip_address,
        "overriddenstatus": override,
        "port": port,
        "securePort": secure_port,
        "countryId": _number(body.get(COUNTRY_ID.name), COUNTRY_ID),
        "dataCenterInfo": _data_center(data_center, data_center_name),
        "renewalIntervalInSecs": _number(
            lease.get(RENEWAL_INTERVAL.name), RENEWAL_INTERVAL, LEASE_INFO
        ),
        "serviceUpTimestamp": now_ms,
        "lastUpdatedTimestamp": now_ms,
        "lastDirtyTimestamp": last_dirty,
    }
    for spec in _KEPT_TEXT:
        value = body.get(spec.name)
        if (
            isinstance(value, str)
            and value
            and not (spec is SID and value == SID_UNSET)
        ):
            extension[spec.name] = value
    if own_status != status:  # the rule chain runs again against a stored copy
        extension[REPORTED_STATUS_KEY] = own_status
    registration = InstanceRegistration(
        id=store_id(app, instance_id),
        service_name=sys.intern(app),
        endpoint=_endpoint(host, port, secure_port),
        status=status,
        ttl=clamp_ttl(duration),
        metadata=stored_json(metadata) if metadata else None,
        tags=tags_of(metadata),
        extension=stored_extension(extension, app),
    )
    return EurekaRegistration(registration, last_dirty)


def extension_of(instance: ServiceInstance) -> dict[str, Any] | None:
    """The Eureka document kept with a Eureka-registered instance, if any
    (members that hold their default may be missing: :func:`extension_member`)."""
    return orjson.loads(instance.extension) if instance.extension else None


def stored_extension(extension: Mapping[str, Any], app: str) -> bytes:
    """``extension`` of an instance of ``app`` as kept: compact JSON without the
    members that hold their default (:data:`EXTENSION_DEFAULTS`), nor ``app``,
    ``ipAddr`` or ``lastUpdatedTimestamp`` when they equal the application's name,
    ``hostName`` and ``serviceUpTimestamp`` (:func:`instance_tree` reads them so)."""
    derived = {
        "app": app,
        "ipAddr": extension.get("hostName"),
        "lastUpdatedTimestamp": extension.get("serviceUpTimestamp"),
    }
    return stored_json(
        {
            name: value
            for name, value in extension.items()
            if not (
                (name in EXTENSION_DEFAULTS and EXTENSION_DEFAULTS[name] == value)
                or (name in derived and derived[name] == value)
            )
        }
    )


def extension_member(extension: Mapping[str, Any], name: str) -> Any:
    """A member of an extension, or (a copy of) its default when left out."""
    if name in extension:
        return extension[name]
    default = EXTENSION_DEFAULTS[name]
    return dict(default) if isinstance(default, dict) else default


def instance_tree(instance: ServiceInstance, action: str = "ADDED") -> dict[str, Any]:
    """The Eureka JSON-shaped document of any instance (eureka-api.md §6.2 order)."""
    extension = extension_of(instance) or native_extension(instance)
    registered_ms = instance.registration_ns // 1_000_000
    service_up = extension.get("serviceUpTimestamp", registered_ms)
    tree: dict[str, Any] = {
        "instanceId": extension["instanceId"],
        "hostName": extension["hostName"],
        "app": extension.get("app", app_name(instance)),
        "ipAddr": extension.get("ipAddr", extension["hostName"]),
    }
    if "sid" in extension:
        tree["sid"] = extension["sid"]
    tree["status"] = instance.status
    # extension_member, inlined for the members whose default is immutable.
    tree["overriddenstatus"] = extension.get("overriddenstatus", DEFAULT_OVERRIDE)
    tree["port"] = extension["port"]
    tree["securePort"] = extension_member(extension, "securePort")
    tree["countryId"] = extension.get("countryId", DEFAULT_COUNTRY)
    tree["dataCenterInfo"] = extension_member(extension, "dataCenterInfo")
    tree["leaseInfo"] = {
        "renewalIntervalInSecs": extension.get(
            "renewalIntervalInSecs", DEFAULT_RENEWAL_INTERVAL_SECONDS
        ),
        "durationInSecs": instance.ttl,
        "registrationTimestamp": registered_ms,
        "lastRenewalTimestamp": instance.last_renewal_ns // 1_000_000,
        "evictionTimestamp": 0,
        "serviceUpTimestamp": service_up,
    }
    tree["metadata"] = eureka_metadata(instance.metadata) or dict(EMPTY_METADATA)
    for name in TEXT_MEMBERS:
        if name in extension:
            tree[name] = extension[name]
    tree["isCoordinatingDiscoveryServer"] = "false"
    tree["lastUpdatedTimestamp"] = str(
        extension.get("lastUpdatedTimestamp", service_up)
    )
    tree["lastDirtyTimestamp"] = str(extension.get("lastDirtyTimestamp", registered_ms))
    tree["actionType"] = action
    if "asgName" in extension:
        tree["asgName"] = extension["asgName"]
    return tree


def app_name(instance: ServiceInstance) -> str:
    """The Eureka application an instance belongs to (upper-cased service name)."""
    return instance.service_name.upper()


def vip_addresses(instance: ServiceInstance, secure: bool) -> list[str]:
    """The (secure) VIP addresses an instance answers to; native: its service name."""
    extension = extension_of(instance)
    if extension is None:
        return [instance.service_name]
    value = extension.get("secureVipAddress" if secure else "vipAddress", "")
    return [vip for vip in str(value).split(",") if vip]


def merged_metadata(metadata: bytes | None, updates: Mapping[str, str]) -> bytes:
    """Native metadata with ``updates`` merged in (``PUT .../metadata``): other
    members keep their JSON types; metadata that is not an object is replaced."""
    current = orjson.loads(metadata) if metadata else {}
    merged = {**(current if isinstance(current, dict) else {}), **updates}
    return stored_json(merged)


def eureka_metadata(metadata: bytes | None) -> dict[str, str]:
    """Native metadata as Eureka's map of strings (decisions.md): strings as they
    are, other values as compact JSON text; non-object metadata is left out."""
    if not metadata:
        return {}
    value = orjson.loads(metadata)
    if not isinstance(value, dict):
        return {}
    for item in value.values():
        if not isinstance(item, str):
            break
    else:
        return value  # the usual case, and a new dict already
    return {
        key: item if isinstance(item, str) else orjson.dumps(item).decode()
        for key, item in value.items()
    }


def with_status_override(
    instance: ServiceInstance, override: str, last_dirty_ms: int | None, now_ms: int
) -> bytes:
    """The extension after a status override change (PUT/DELETE .../status)."""
    extension = extension_of(instance) or native_extension(instance)
    extension["overriddenstatus"] = override
    extension["lastUpdatedTimestamp"] = now_ms
    if last_dirty_ms is not None:
        extension["lastDirtyTimestamp"] = max(
            last_dirty_ms, int(extension.get("lastDirtyTimestamp", 0))
        )
    return stored_extension(extension, app_name(instance))


def last_dirty_ms(
    instance: ServiceInstance, extension: Mapping[str, Any] | None = None
) -> int:
    """Eureka's ``lastDirtyTimestamp`` of ``instance`` (its registration time when
    registered natively); ``extension``: the instance's, when already parsed."""
    if extension is None:
        extension = extension_of(instance)
    if extension is None:
        return instance.registration_ns // 1_000_000
    return int(extension.get("lastDirtyTimestamp", 0))


# -- parsing helpers ----------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(
    value: Any,
    spec: FieldSpec,
    parent: FieldSpec | None = None,
    default: int | None = None,
) -> int:
    """An ``integer_text`` member (of ``parent``), read as Eureka reads numbers:
    JSON numbers or their text; other values give ``default`` (else the spec's).
    A number past the spec's range (a Java ``int`` or ``long``) is refused, as
    Eureka's reader refuses it."""
    if default is None:
        default = int(spec.default)
    if isinstance(value, bool) or value is None:
        return default
    low, high = spec.minimum, spec.maximum
    if isinstance(value, float):  # JSON reads integers past 64 bits as floats
        if not value.is_integer():
            return default
        if (low is not None and value <= low) or (high is not None and value > high):
            # Rounding may have brought the literal into range (-2**63 - 1 reads
            # as -2**63): a float on the bound may stand for one past it.
            raise _out_of_range(spec, parent)
        value = int(value)
    try:
        number = int(str(value).strip())
    except ValueError:
        return default
    if (low is not None and number < low) or (high is not None and number > high):
        raise _out_of_range(spec, parent)
    return number


def _out_of_range(spec: FieldSpec, parent: FieldSpec | None) -> EurekaRegistrationError:
    name = spec.name if parent is None else f"{parent.name}.{spec.name}"
    return EurekaRegistrationError(f"{name} out of range")


def read_status(value: Any, spec: FieldSpec, names: Mapping[str, str]) -> str:
    """A status (``spec``, whose choices by upper-case text are ``names``): any
    case, trimmed; absent or empty: the default; anything else: the fallback
    (Eureka's ``InstanceStatus.toEnum``)."""
    if value is None or value == "":
        return str(spec.default)
    return names.get(str(value).strip().upper()) or str(spec.fallback)


def java_long(text: str | None) -> int | None:
    """A query parameter read as Java's ``Long.parseLong`` would: ``None`` when
    absent or not an integer; :class:`ValueError` when out of range."""
    if text is None:
        return None
    try:
        number = int(text)
    except ValueError:
        return None
    if not LAST_DIRTY_TIMESTAMP.in_range(number):
        raise ValueError(f"{number} is out of range for a long")
    return number


def _derived_id(body: Mapping[str, Any], host: str) -> str:
    """Old clients send no instanceId: Amazon's ``instance-id`` or the host name."""
    data_center = body.get(DATA_CENTER_INFO.name)
    if not isinstance(data_center, Mapping):
        return host
    metadata = data_center.get(DATA_CENTER_METADATA.name)
    if not isinstance(metadata, Mapping):
        return host
    name = _text(data_center.get(DATA_CENTER_NAME.name)).lower()
    if name == "amazon":
        return _text(metadata.get(AMAZON_INSTANCE_ID.name)) or host
    if name == "softlayer":  # its getId, numbers without decimals (spec §6.3.1)
        unique = metadata.get(SOFTLAYER_ID.name)
        if isinstance(unique, int | float) and not isinstance(unique, bool):
            return str(int(unique)) if float(unique).is_integer() else str(unique)
        return _text(unique) or host
    return host


def _port(value: Any, spec: FieldSpec) -> dict[str, Any]:
    """``{"$": 8080, "@enabled": "true"}``; ``@enabled`` as string or boolean."""
    number, enabled = spec.members
    if not isinstance(value, Mapping):
        return {"$": number.default, "@enabled": _flag(enabled.default)}
    return {
        "$": _number(value.get(number.name), number, spec),
        "@enabled": _flag(value.get(enabled.name, enabled.default)),
    }


def _flag(value: Any) -> str:
    """A ``flag`` member as Eureka writes it: ``"true"`` or ``"false"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "true" if str(value).strip().lower() == "true" else "false"


def _data_center(value: Mapping[str, Any], name: str) -> dict[str, Any]:
    tree: dict[str, Any] = {
        "@class": AMAZON_DATA_CENTER_CLASS
        if name.lower() == "amazon"
        else DEFAULT_DATA_CENTER_CLASS,
        "name": name,
    }
    metadata = value.get(DATA_CENTER_METADATA.name)
    if name.lower() == "amazon" and isinstance(metadata, Mapping):
        tree["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    return tree


def _metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(key): item if isinstance(item, str) else orjson.dumps(item).decode()
        for key, item in value.items()
        if key != "@class"
    }


def tags_of(metadata: Mapping[str, str]) -> tuple[str, ...]:
    """Spec §6.3.1 step 3: ``amalgam8.tags`` split on ``,`` or ``;``."""
    text = metadata.get(TAGS_METADATA_KEY, "").strip()
    if not text:
        return ()
    return tuple(sys.intern(tag.strip()) for tag in text.replace(";", ",").split(","))


def _override(body: Mapping[str, Any]) -> str:
    """The override the body carries, if any (a stored one wins: see rules)."""
    sent = next((body[name] for name in _OVERRIDE_NAMES if name in body), None)
    return read_status(sent, OVERRIDDEN_STATUS, OVERRIDDEN_STATUS_NAMES)


def _endpoint(host: str, port: dict[str, Any], secure: dict[str, Any]) -> Endpoint:
    if secure["@enabled"] == "true":
        return Endpoint("https", f"{host}:{secure['$']}")
    if port["@enabled"] == "true":
        return Endpoint("tcp", f"{host}:{port['$']}")
    return Endpoint("tcp", host)


def native_extension(instance: ServiceInstance) -> dict[str, Any]:
    """The document of a natively registered instance, from its endpoint."""
    host, port = _host_port(instance.endpoint)
    secure = instance.endpoint.type == "https"
    enabled = port is not None
    return {
        "instanceId": instance.id,
        "hostName": host,
        "app": app_name(instance),
        "ipAddr": host,
        "overriddenstatus": UNKNOWN,
        "port": {
            "$": port or 80,
            "@enabled": "true" if enabled and not secure else "false",
        },
        "securePort": {
            "$": port or 443,
            "@enabled": "true" if enabled and secure else "false",
        },
        "dataCenterInfo": {"@class": DEFAULT_DATA_CENTER_CLASS, "name": "MyOwn"},
        "vipAddress": instance.service_name,
        "secureVipAddress": instance.service_name,
    }


def _host_port(endpoint: Endpoint) -> tuple[str, int | None]:
    """Split ``host:port``, ``[v6]:port`` or a URL (decisions.md: no ``host:port``
    hostName)."""
    value = endpoint.value.strip()
    if "://" in value:
        try:
            parts = urlsplit(value)
        except ValueError:  # "http://[x/": not a URL after all, shown as it is
            return value, None
        try:
            port = parts.port
        except ValueError:
            port = None
        default = {"http": 80, "https": 443}.get(parts.scheme)
        return parts.hostname or value, port or default
    host, colon, port_text = value.rpartition(":")
    if colon and port_text.isdigit() and (":" not in host or host.startswith("[")):
        return host.strip("[]"), int(port_text)
    return value, None
