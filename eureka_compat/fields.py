"""The Eureka instance document as the registration parser reads it (issue 10,
defect 9; eureka-api.md §4.1, §6.2).

One table, two readers: :func:`eureka_compat.instances.parse_registration` takes its
names, defaults, ranges and enums from these :class:`FieldSpec` entries, and the
OpenAPI description of ``POST apps/{app}`` (JSON and XML) is generated from them
(:mod:`eureka_compat.openapi.shapes`, :mod:`eureka_compat.openapi.xml_bodies`), so
the two cannot drift (``tests/eureka/test_instance_fields.py``). So are the status
routes' ``value`` parameters.

Eureka reads like Jackson's lenient ``getValueAsInt``/``getValueAsLong``: numbers may
come as text, a member of an unexpected type counts as absent (``lenient``), and
only a number past its Java type is refused. The lookups the parser needs on every
registration are computed here, once, from the table.
"""

from __future__ import annotations

from eureka_compat.statuses import STATUSES, UNKNOWN, UP
from registry.http.fields import FieldSpec
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
)

#: Java's ``int`` and ``long`` (Eureka's numeric fields are one or the other).
JAVA_INT = (-(2**31), 2**31 - 1)
JAVA_LONG = (-(2**63), 2**63 - 1)
STATUS_CHOICES = tuple(sorted(STATUSES))
#: The metadata key whose value (a `,`/`;` list) sets the native tags.
TAGS_METADATA_KEY = "amalgam8.tags"

_NUMBER = (
    "A number or its decimal text (surrounding whitespace ignored); past a Java "
    "`{java}` → 400 `{label} out of range`, as number or as text; any other value "
    "(fractions, booleans, other text, ...) is ignored: the default applies."
)
_IGNORED = "Read only when an object; any other value is ignored (the defaults apply)."
_OPTIONAL_TEXT = "Kept as sent when non-empty text; any other value counts as absent."
_REQUIRED_TEXT = (
    "Required text, trimmed; absent, blank or not text → 400 `Missing {name}`."
)


def _java_number(
    name: str, label: str, java_type: tuple[int, int], default: int | None, text: str
) -> FieldSpec:
    """An ``integer_text`` member; ``label`` names it in the 400's text."""
    java = "int" if java_type == JAVA_INT else "long"
    return FieldSpec(
        name,
        "integer_text",
        " ".join(filter(None, (text, _NUMBER.format(java=java, label=label)))),
        lenient=True,
        minimum=java_type[0],
        maximum=java_type[1],
        default=default,
    )


def _port(name: str, number: int, enabled: bool) -> FieldSpec:
    flag = "true" if enabled else "false"
    return FieldSpec(
        name,
        "object",
        f'`{{"$": 8080, "@enabled": "true"}}`; XML `<{name} enabled="true">8080'
        f"</{name}>`. {_IGNORED} Either member may be missing.",
        lenient=True,
        members=(
            _java_number("$", f"{name}.$", JAVA_INT, number, "The port number."),
            FieldSpec(
                "@enabled",
                "flag",
                "`true` (JSON boolean, or text in any case, trimmed) enables; any "
                "other value disables.",
                default=flag,
            ),
        ),
    )


def _text(name: str, text: str = _OPTIONAL_TEXT) -> FieldSpec:
    return FieldSpec(name, "string", text, lenient=True)


def _status(
    name: str, default: str, text: str, aliases: tuple[str, ...] = ()
) -> FieldSpec:
    return FieldSpec(
        name,
        "string",
        f"{text} A status in any case (trimmed); absent, `null` or empty: "
        f"`{default}`; any other value reads as `{UNKNOWN}`.",
        nullable=True,
        choices=STATUS_CHOICES,
        case_insensitive=True,
        trim=True,
        default=default,
        fallback=UNKNOWN,
        aliases=aliases,
    )


INSTANCE_ID = FieldSpec(
    "instanceId",
    "string",
    "Trimmed; absent, blank or not text: `dataCenterInfo.metadata.instance-id` for "
    "`Amazon`, its `getId` for `SoftLayer`, else `hostName`.",
    lenient=True,
    trim=True,
)
HOST_NAME = FieldSpec(
    "hostName",
    "string",
    _REQUIRED_TEXT.format(name="hostName")
    + " With the port it makes the native endpoint (`host:port`, at most "
    f"{MAX_ENDPOINT_VALUE_BYTES} bytes).",
    required=True,
    blank=False,
    trim=True,
)
APP = FieldSpec(
    "app",
    "string",
    _REQUIRED_TEXT.format(name="app")
    + " Upper-cased, it must be the path's application (else 400 `Mismatched "
    f"appName`) and at most {MAX_SERVICE_NAME_BYTES} bytes of UTF-8 (400 "
    f"`service_name exceeded {MAX_SERVICE_NAME_BYTES} bytes`).",
    required=True,
    blank=False,
    trim=True,
    max_bytes=MAX_SERVICE_NAME_BYTES,
)
IP_ADDR = FieldSpec(
    "ipAddr",
    "string",
    _REQUIRED_TEXT.format(name="ipAddr"),
    required=True,
    blank=False,
    trim=True,
)
#: ``sid`` set to this means none (Eureka's default).
SID_UNSET = "na"
SID = _text("sid", f"{_OPTIONAL_TEXT} `{SID_UNSET}` is none too.")
STATUS = _status("status", UP, "The instance's own status.")
OVERRIDDEN_STATUS = _status(
    "overriddenstatus",
    UNKNOWN,
    "The override the client knows of (a stored override wins). Also read as "
    "`overriddenStatus` when `overriddenstatus` is absent.",
    aliases=("overriddenStatus",),
)
PORT = _port("port", 80, enabled=True)
SECURE_PORT = _port("securePort", 443, enabled=False)
COUNTRY_ID = _java_number("countryId", "countryId", JAVA_INT, 1, "")
#: Eureka's own three data centres, and SoftLayer, which the original registry read
#: too (spec §6.3.1).
DATA_CENTER_NAME = FieldSpec(
    "name",
    "string",
    "Any case, surrounding whitespace ignored; absent, blank or not text → 400 "
    "`Missing dataCenterInfo Name`; another name → 400 `Unknown dataCenterInfo "
    "name`.",
    required=True,
    blank=False,
    choices=("MyOwn", "Netflix", "Amazon", "SoftLayer"),
    case_insensitive=True,
    trim=True,
)
AMAZON_INSTANCE_ID = FieldSpec(
    "instance-id",
    "string",
    "`Amazon`'s instance id (trimmed).",
    lenient=True,
    trim=True,
)
SOFTLAYER_ID = FieldSpec(
    "getId",
    "any",
    "`SoftLayer`'s id: text (trimmed) or a number (`12345.0` is `12345`).",
)
DATA_CENTER_METADATA = FieldSpec(
    "metadata",
    "object",
    f"Read for `Amazon` (kept, values as text) and `SoftLayer` to derive a missing "
    f"`instanceId`. {_IGNORED}",
    lenient=True,
    members=(AMAZON_INSTANCE_ID, SOFTLAYER_ID),
)
DATA_CENTER_INFO = FieldSpec(
    "dataCenterInfo",
    "object",
    "Required object (else 400 `Missing dataCenterInfo`). `@class` is not read: it "
    "is written back from the name (`com.netflix.appinfo.AmazonInfo` for `Amazon`).",
    required=True,
    members=(DATA_CENTER_NAME, DATA_CENTER_METADATA),
)
RENEWAL_INTERVAL = _java_number(
    "renewalIntervalInSecs",
    "leaseInfo.renewalIntervalInSecs",
    JAVA_INT,
    30,
    "Stored and echoed back.",
)
DURATION = _java_number(
    "durationInSecs",
    "leaseInfo.durationInSecs",
    JAVA_INT,
    90,
    "The TTL asked for (0 too means the default), clamped to the registry's TTL "
    "limits.",
)
LEASE_INFO = FieldSpec(
    "leaseInfo",
    "object",
    f"Only these members are read; the others are server-managed. {_IGNORED}",
    lenient=True,
    members=(RENEWAL_INTERVAL, DURATION),
)
METADATA = FieldSpec(
    "metadata",
    "object",
    f"An object or `null` (else 400 `metadata is not an object`). Text values are "
    f"kept, other values as their JSON text; `@class` is dropped; "
    f"`{TAGS_METADATA_KEY}` (a `,`/`;` list) sets the native tags. At most "
    f"{MAX_METADATA_BYTES} bytes as compact JSON (UTF-8), else 400 `metadata "
    f"exceeded {MAX_METADATA_BYTES} bytes`.",
    nullable=True,
    max_bytes=MAX_METADATA_BYTES,
)
#: Members kept verbatim (non-empty text), in Eureka's output order.
VERBATIM_TEXT = tuple(
    _text(name)
    for name in (
        "appGroupName",
        "homePageUrl",
        "statusPageUrl",
        "healthCheckUrl",
        "secureHealthCheckUrl",
        "vipAddress",
        "secureVipAddress",
    )
)
LAST_DIRTY_TIMESTAMP = _java_number(
    "lastDirtyTimestamp",
    "lastDirtyTimestamp",
    JAVA_LONG,
    None,
    "ms; the default is now. An older one than the stored copy's only renews it.",
)
ASG_NAME = _text("asgName")
INSTANCE = FieldSpec(
    "instance",
    "object",
    "As clients send it; unknown and server-managed members (`leaseInfo` times, "
    "`actionType`, `isCoordinatingDiscoveryServer`, `lastUpdatedTimestamp`, ...) "
    "are ignored. Absent → 400 `Missing instance`.",
    required=True,
    members=(
        INSTANCE_ID,
        HOST_NAME,
        APP,
        IP_ADDR,
        SID,
        STATUS,
        OVERRIDDEN_STATUS,
        PORT,
        SECURE_PORT,
        COUNTRY_ID,
        DATA_CENTER_INFO,
        LEASE_INFO,
        METADATA,
        *VERBATIM_TEXT,
        LAST_DIRTY_TIMESTAMP,
        ASG_NAME,
    ),
)
#: The registration body: ``{"instance": {...}}`` (XML: ``<instance>`` is the root).
REGISTRATION = (INSTANCE,)

# --- the status routes' query parameter ---------------------------------------------

OVERRIDE_VALUE = FieldSpec(
    "value",
    "string",
    "The status, any case (trimmed); absent or another value → 400 (Eureka answers "
    "500).",
    required=True,
    blank=False,
    choices=STATUS_CHOICES,
    case_insensitive=True,
    trim=True,
)
FALLBACK_VALUE = FieldSpec(
    "value",
    "string",
    f"The status once the override is gone, any case (trimmed); absent or empty: "
    f"`{UNKNOWN}`; any other value reads as `{UNKNOWN}`.",
    choices=STATUS_CHOICES,
    case_insensitive=True,
    trim=True,
    default=UNKNOWN,
    fallback=UNKNOWN,
)

# --- what the parsers look up on every request, computed once -----------------------


def upper_case_names(spec: FieldSpec) -> dict[str, str]:
    """``spec``'s choices by their upper-case text (Eureka's ``toEnum``)."""
    return {choice.upper(): choice for choice in spec.choices or ()}


STATUS_NAMES = upper_case_names(STATUS)
OVERRIDDEN_STATUS_NAMES = upper_case_names(OVERRIDDEN_STATUS)
OVERRIDE_VALUE_NAMES = upper_case_names(OVERRIDE_VALUE)
FALLBACK_VALUE_NAMES = upper_case_names(FALLBACK_VALUE)
#: Data centre names, lower-cased: matched with ``str.lower``, which for these names
#: accepts exactly their ASCII case variants (what the schema's pattern says).
DATA_CENTER_NAMES = frozenset(name.lower() for name in DATA_CENTER_NAME.choices or ())
