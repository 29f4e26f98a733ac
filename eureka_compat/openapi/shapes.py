"""Documentation serializers of Eureka's wire format (eureka-api.md §6.2).

XML examples are rendered from the JSON shape by the views' codec: ``@name`` members
are attributes, ``$`` is the element's text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from eureka_compat.instances import (
    DATA_CENTER_NAMES,
    DEFAULT_DATA_CENTER_CLASS,
    INT_BITS,
    LONG_BITS,
    TAGS_METADATA_KEY,
)
from eureka_compat.statuses import STATUSES, UNKNOWN

STATUS_CHOICES = sorted(STATUSES)


@extend_schema_field(
    {"description": "Text. Any other JSON value, and empty text, count as absent."}
)
class OptionalText(serializers.Field[Any, Any, Any, Any]):
    """An optional registration member read only when it is a non-empty string."""


def _java_number(bits: int) -> dict[str, Any]:
    """A JSON integer within a Java ``int``/``long``, or any text (read leniently)."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    number = {"type": "integer", "minimum": low, "maximum": high}
    return {
        # Integers must fit; any other value is read leniently, so it is allowed.
        "anyOf": [number, {"not": {"type": "integer"}}],
        "description": f"A number or its decimal text; past {low}…{high} (a Java "
        f"{'int' if bits == INT_BITS else 'long'}) → 400 `… out of range`, as "
        "number or as text; any other value is ignored (the default applies).",
    }


@extend_schema_field(_java_number(INT_BITS))
class IntOrText(serializers.Field[Any, Any, Any, Any]):
    """A number Eureka reads leniently: a JSON number or its decimal text."""


@extend_schema_field(_java_number(LONG_BITS))
class LongOrText(serializers.Field[Any, Any, Any, Any]):
    """A timestamp Eureka reads leniently: a JSON number or its decimal text."""


_FLAG_SCHEMA = {
    "description": "`true` (boolean, or text in any case) enables; any other value "
    "disables."
}


def _shape(component: str, doc: str, fields: dict[str, Any]) -> Any:
    """A documentation serializer; field names may be ``@class``, ``$``, ..."""
    attrs = {"__doc__": doc, "__module__": __name__, **fields}
    return type(component, (serializers.Serializer,), attrs)


def _fields(names: str, field: Callable[[], Any]) -> dict[str, Any]:
    """``field()`` for each of the space-separated ``names``."""
    return {name: field() for name in names.split()}


def _text(required: bool = True) -> Callable[[], serializers.CharField]:
    return lambda: serializers.CharField(required=required)


def _pattern(pattern: str, help_text: str = "") -> serializers.RegexField:
    return serializers.RegexField(pattern, help_text=help_text)


def _strings(**kwargs: Any) -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(), **kwargs)


_FLAG = r"^(true|false)$"
_DIGITS = r"^-?[0-9]+$"
Port = _shape(
    "EurekaPort",
    'XML: `<port enabled="true">8080</port>`. No other member: Java clients fail.',
    {"$": serializers.IntegerField(), "@enabled": _pattern(_FLAG)},
)
DataCenterInfo = _shape(
    "EurekaDataCenterInfo",
    f"`@class` is `{DEFAULT_DATA_CENTER_CLASS}` (`com.netflix.appinfo.AmazonInfo` "
    "for `Amazon`, which also has `metadata`). XML: "
    '`<dataCenterInfo class="…"><name>MyOwn</name></dataCenterInfo>`.',
    {**_fields("@class name", _text()), "metadata": _strings(required=False)},
)
LeaseInfo = _shape(
    "EurekaLeaseInfo",
    "Server-managed; timestamps in ms. `durationInSecs` is the granted TTL (the "
    "registered duration clamped to the registry's TTL limits); `evictionTimestamp` "
    "is 0.",
    _fields(
        "renewalIntervalInSecs durationInSecs registrationTimestamp "
        "lastRenewalTimestamp evictionTimestamp serviceUpTimestamp",
        serializers.IntegerField,
    ),
)
Instance = _shape(
    "EurekaInstance",
    "One instance: exactly Eureka's members, in its order (strict clients such as "
    "Spring Cloud's reject any other member).",
    {
        **_fields("instanceId hostName app ipAddr", _text()),
        **_fields("sid", _text(required=False)),
        "status": serializers.ChoiceField(choices=STATUS_CHOICES),
        "overriddenstatus": _pattern(
            f"^({'|'.join(STATUS_CHOICES)})$", f"`{UNKNOWN}` when none."
        ),
        "port": Port(),
        "securePort": Port(),
        "countryId": serializers.IntegerField(),
        "dataCenterInfo": DataCenterInfo(),
        "leaseInfo": LeaseInfo(),
        "metadata": _strings(
            help_text='A string map; empty: `{"@class": '
            '"java.util.Collections$EmptyMap"}`. XML element names are the keys, '
            "XStream-escaped (`_`→`__`, `$`→`_-`)."
        ),
        **_fields(
            "appGroupName homePageUrl statusPageUrl healthCheckUrl "
            "secureHealthCheckUrl vipAddress secureVipAddress",
            _text(required=False),
        ),
        "isCoordinatingDiscoveryServer": _pattern(_FLAG),
        "lastUpdatedTimestamp": _pattern(_DIGITS, "ms, as text."),
        "lastDirtyTimestamp": _pattern(_DIGITS, "ms, as text."),
        "actionType": serializers.ChoiceField(choices=["ADDED", "MODIFIED", "DELETED"]),
        **_fields("asgName", _text(required=False)),
    },
)
Application = _shape(
    "EurekaApplication",
    "One application (upper-case `name`) and its instances, never none.",
    {"name": serializers.CharField(), "instance": Instance(many=True)},
)
Applications = _shape(
    "EurekaApplications",
    "`application` is always a list (`[]` when empty). `apps__hashcode` is "
    "`<STATUS>_<count>_` per status present, sorted (`DOWN_1_UP_2_`).",
    {
        **_fields("versions__delta apps__hashcode", _text()),
        "application": Application(many=True),
    },
)
ApplicationsDocument = _shape(
    "EurekaApplicationsDocument", "", {"applications": Applications()}
)
ApplicationDocument = _shape(
    "EurekaApplicationDocument", "", {"application": Application()}
)
InstanceDocument = _shape("EurekaInstanceDocument", "", {"instance": Instance()})


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_DATA_CENTER_NAME = "|".join(_any_case(name) for name in sorted(DATA_CENTER_NAMES))
RegistrationDataCenterInfo = _shape(
    "EurekaRegistrationDataCenterInfo",
    "Only `name` is read (surrounding blanks trimmed); `metadata` too for `Amazon` "
    "(`instance-id`) and `SoftLayer` (`getId`), to derive a missing `instanceId`.",
    {
        "name": _pattern(
            rf"^\s*({_DATA_CENTER_NAME})\s*$",
            "`MyOwn`, `Netflix`, `Amazon` or `SoftLayer`, any case; else 400 "
            "`Unknown dataCenterInfo name`.",
        ),
        "metadata": serializers.JSONField(
            required=False,
            help_text="Read only when an object; any other value is ignored.",
        ),
    },
)


@extend_schema_field(
    {
        "anyOf": [
            {
                "type": "object",
                "description": "Either member may be missing (the defaults apply).",
                "properties": {"$": _java_number(INT_BITS), "@enabled": _FLAG_SCHEMA},
            },
            {"not": {"type": "object"}},
        ],
        "description": "Read only when an object; any other value: the default.",
    }
)
class PortOrIgnored(serializers.Field[Any, Any, Any, Any]):
    """A port: an object, or any other value, which counts as absent."""


RegistrationInstance = _shape(
    "EurekaRegistrationInstance",
    f"""\
As clients send it; unknown and server-managed members are ignored. `instanceId`
defaults to `dataCenterInfo.metadata.instance-id` for `Amazon`, else `hostName`.
`status`: any case, absent `UP`, unknown values `UNKNOWN`; `overriddenStatus` is
read too. Ports default to 80 (enabled) and 443 (disabled). `leaseInfo`: only
`durationInSecs` (0 or absent: 90) and `renewalIntervalInSecs`. `metadata`: non-string
values are kept as JSON text, `@class` is dropped, `{TAGS_METADATA_KEY}` (`,`/`;`
list) sets the native tags. `lastDirtyTimestamp` defaults to now.""",
    {
        # Trimmed by the server: blank (whitespace only) is missing (400).
        **_fields(
            "hostName app ipAddr",
            lambda: _pattern(r"\S", "Required; not blank once trimmed."),
        ),
        **_fields(
            "instanceId status overriddenstatus vipAddress secureVipAddress "
            "homePageUrl statusPageUrl healthCheckUrl secureHealthCheckUrl "
            "appGroupName asgName sid",
            lambda: OptionalText(required=False),
        ),
        **_fields("port securePort", lambda: PortOrIgnored(required=False)),
        "countryId": IntOrText(required=False),
        "lastDirtyTimestamp": LongOrText(required=False),
        "dataCenterInfo": RegistrationDataCenterInfo(),
        "leaseInfo": serializers.JSONField(
            required=False,
            help_text="Read only when an object; any other value is ignored.",
        ),
        "metadata": serializers.DictField(
            required=False,
            allow_null=True,
            help_text="An object (or `null`), else 400 `metadata is not an object`; "
            "at most 1024 bytes as compact JSON.",
        ),
    },
)
Registration = _shape("EurekaRegistration", "", {"instance": RegistrationInstance()})
