"""Documentation serializers of Eureka's wire format (eureka-api.md §6.2).

The documents the server writes are described here; the registration body it reads
is generated from the parser's own table (:mod:`eureka_compat.fields`). XML examples
are rendered from the JSON shape by the views' codec: ``@name`` members are
attributes, ``$`` is the element's text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from eureka_compat import fields
from eureka_compat.instances import DEFAULT_DATA_CENTER_CLASS
from eureka_compat.statuses import UNKNOWN
from registry.http.fields import table_serializer

STATUS_CHOICES = list(fields.STATUS_CHOICES)


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


REGISTRATION_DOC = """The body of `POST apps/{app}`: `{"instance": {...}}` in JSON.

In XML the root element is `<instance>`, `@name` members are attributes and `$` is
the element's text (`<port enabled="true">8080</port>`)."""
#: Generated from the parser's table (eureka_compat.fields); its XML twin is made by
#: eureka_compat.openapi.xml_bodies.
Registration = table_serializer(
    "EurekaRegistration", fields.REGISTRATION, REGISTRATION_DOC
)
