"""The OpenAPI description of the Eureka-compatible API (drf-spectacular).

Nothing here takes part in handling a request: the serializers are documentation
shapes of Eureka's wire format (eureka-api.md §6), XML examples are rendered by the
views' codec. The views are decorated with the ``*_docs`` objects below, which also
give them :class:`EurekaAutoSchema`: one view serves ``/eureka/v2/``, ``/eureka/``
and ``/api/eureka/{token}/v2/``, so operation ids get the route's prefix.
``docs/eureka.md`` is the prose guide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from drf_spectacular.drainage import set_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers

from eureka_compat.authentication import EurekaAuthentication
from eureka_compat.formats import JSON, XML
from eureka_compat.instances import DEFAULT_DATA_CENTER_CLASS, TAGS_METADATA_KEY
from eureka_compat.statuses import STATUSES, UNKNOWN
from eureka_compat.xml_codec import render_xml

View = TypeVar("View", bound=type)
TAG = "eureka"
TEXT = "text/plain"
STATUS_CHOICES = sorted(STATUSES)

# EurekaAuthentication is BearerAuthentication plus the path token: it shares the
# `bearerAuth` scheme (BearerAuthenticationScheme matches subclasses) on purpose.
set_override(EurekaAuthentication, "suppress_collision_warning", True)

#: Route prefix -> operation id prefix, most specific first.
PREFIXES = (
    ("/api/eureka/{token}/v2/", "eurekaToken"),
    ("/eureka/v2/", "eurekaV2"),
    ("/eureka/", "eureka"),
)
_PATH_TEXTS = {
    "token": "Namespace token, like the native API's bearer token (see `bearerAuth`); "
    "may be empty (`/api/eureka//v2/apps`). An `Authorization` header wins.",
    "app": "Application name, any case (`demo-app` is `DEMO-APP`).",
    "instance_id": "The `instanceId` (e.g. `10.0.0.5:reviews:9080`), percent-decoded: "
    "`:` raw or `%3A`; a `.` is part of the id. Native instances: their native id.",
    "vip": "A VIP address, matched exactly (case-sensitive).",
}
PATH_PARAMETERS = {
    name: OpenApiParameter(name, str, OpenApiParameter.PATH, description=text)
    for name, text in _PATH_TEXTS.items()
}


class EurekaAutoSchema(AutoSchema):
    """Path parameters from :data:`PATH_PARAMETERS`; operation ids per prefix."""

    def get_override_parameters(self) -> list[Any]:
        names = re.findall(r"\{(\w+)\}", self.path)
        return [
            *super().get_override_parameters(),
            *(PATH_PARAMETERS[name] for name in names),
        ]

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            path = self.path
            prefix = next(name for start, name in PREFIXES if path.startswith(start))
            base = str(operation["operationId"])
            operation["operationId"] = prefix + base[0].upper() + base[1:]
        return operation


# --- documentation shapes (eureka-api.md §6.2) ------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class IntOrText(serializers.Field[Any, Any, Any, Any]):
    """A number Eureka reads leniently: a JSON number or its decimal text."""


@extend_schema_field({"oneOf": [{"type": "boolean"}, {"type": "string"}]})
class FlagOrText(serializers.Field[Any, Any, Any, Any]):
    """``true``/``false`` as a JSON boolean or as text."""


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
RegistrationPort = _shape(
    "EurekaRegistrationPort", "", {"$": IntOrText(), "@enabled": FlagOrText()}
)
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
        **_fields("hostName app ipAddr", _text()),
        **_fields(
            "instanceId status overriddenstatus vipAddress secureVipAddress "
            "homePageUrl statusPageUrl healthCheckUrl secureHealthCheckUrl "
            "appGroupName asgName sid",
            _text(required=False),
        ),
        **_fields("port securePort", lambda: RegistrationPort(required=False)),
        **_fields("countryId lastDirtyTimestamp", lambda: IntOrText(required=False)),
        "dataCenterInfo": serializers.DictField(),
        **_fields("leaseInfo metadata", lambda: serializers.DictField(required=False)),
    },
)
Registration = _shape("EurekaRegistration", "", {"instance": RegistrationInstance()})


# --- examples and responses -------------------------------------------------------

_INSTANCE: dict[str, Any] = {
    "instanceId": "10.0.0.5:reviews:9080",
    "hostName": "10.0.0.5",
    "app": "REVIEWS",
    "ipAddr": "10.0.0.5",
    "status": "UP",
    "overriddenstatus": UNKNOWN,
    "port": {"$": 9080, "@enabled": "true"},
    "securePort": {"$": 443, "@enabled": "false"},
    "countryId": 1,
    "dataCenterInfo": {"@class": DEFAULT_DATA_CENTER_CLASS, "name": "MyOwn"},
    "leaseInfo": {
        "renewalIntervalInSecs": 30,
        "durationInSecs": 90,
        "registrationTimestamp": 1700000000000,
        "lastRenewalTimestamp": 1700000030000,
        "evictionTimestamp": 0,
        "serviceUpTimestamp": 1700000000000,
    },
    "metadata": {"management.port": "9080"},
    "healthCheckUrl": "http://10.0.0.5:9080/health",
    "vipAddress": "reviews",
    "secureVipAddress": "reviews",
    "isCoordinatingDiscoveryServer": "false",
    "lastUpdatedTimestamp": "1700000000000",
    "lastDirtyTimestamp": "1700000000000",
    "actionType": "ADDED",
}
_SERVER_MANAGED = ("leaseInfo", "isCoordinatingDiscoveryServer", "actionType")
_REGISTRATION = {
    "instance": {k: v for k, v in _INSTANCE.items() if k not in _SERVER_MANAGED}
}
_APPLICATION = {"name": "REVIEWS", "instance": [_INSTANCE]}


def _registry(version: str, *apps: dict[str, Any]) -> dict[str, Any]:
    return {
        "applications": {
            "versions__delta": version,
            "apps__hashcode": "UP_1_" if apps else "",
            "application": list(apps),
        }
    }


def _example(name: str, document: dict[str, Any], media_type: str) -> OpenApiExample:
    """``document`` as JSON, or as XML rendered as the views render it."""
    value = document if media_type == JSON else render_xml(document).decode()
    return OpenApiExample(name, value=value, media_type=media_type)


def _empty(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} Empty body.")


_FORMATS = (
    "JSON when the request's `Accept` contains `json`, otherwise XML (XStream layout; "
    "no `Accept`, `*/*` and `text/html` get XML): the same members, `@name` ones as "
    "attributes, `$` as the element's text, lists as repeated elements."
)
_NOT_FOUND = _empty("Unknown application or instance; clients register again.")
_COMMON = {
    301: _empty("`require_https` is on and the request was not HTTPS: see `Location`."),
    401: _empty("No namespace for this request (see `bearerAuth` and `token`)."),
    405: _empty("Any other method on this path, HEAD and OPTIONS included."),
    500: _empty("Unexpected server failure."),
    503: _empty("The storage backend cannot be reached; retry later."),
}


def _header(name: str, description: str, codes: list[int] | bool = True) -> Any:
    return OpenApiParameter(
        name, str, OpenApiParameter.HEADER, description=description, response=codes
    )


_HEADERS = [
    _header("X-Request-Id", "Sent: an id (1-200 visible ASCII) to echo.", False),
    _header("REQUEST_ID", "The request id (the client's `X-Request-Id` if valid)."),
    _header("X-Request-Id", "Same value as `REQUEST_ID`."),
    _header("Vary", "`Accept-Encoding`."),
    _header("Location", "The same URL with `https://`.", [301]),
    _header("WWW-Authenticate", '`Bearer realm="registry"`.', [401]),
    _header("Allow", "The methods this path serves.", [405]),
]
_GET_HEADERS = [
    _header("If-None-Match", "An earlier `ETag`, or `*`: 304 while it matches.", False),
    _header("ETag", "Weak validator of this representation.", [200, 304]),
    _header("Content-Encoding", "`gzip` if accepted and 256 bytes or more.", [200]),
]
_SERVED = (
    "\n\nServed under `/eureka/v2/`, `/eureka/` and `/api/eureka/{token}/v2/`. The "
    "namespace comes from `Authorization: Bearer <token>` (as on `/api/v1`) or, "
    "without that header, from the path's `token`. Errors have empty bodies."
)
_STALE = " Renewal times in it may be up to 30 s old (as with Eureka's cache)."


def _operation(
    operation_id: str,
    summary: str,
    description: str,
    responses: dict[Any, Any],
    method: str = "GET",
    parameters: Sequence[OpenApiParameter] = (),
    request: Any = None,
) -> Any:
    """``extend_schema`` with what every Eureka operation shares."""
    merged = {**_COMMON, **responses}
    if method == "GET":
        merged[304] = _empty("`If-None-Match` matches the current `ETag`.")
    get_headers = _GET_HEADERS if method == "GET" else []
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description + _SERVED,
        tags=[TAG],
        request=request,
        responses=dict(sorted(merged.items(), key=_status_code)),
        parameters=[*parameters, *get_headers, *_HEADERS],
    )


def _status_code(item: tuple[int | tuple[int, str], Any]) -> int:
    key = item[0]
    return key if isinstance(key, int) else key[0]


def _get(
    operation_id: str,
    summary: str,
    description: str,
    shape: Any,
    examples: dict[str, dict[str, Any]],
    not_found: str = "",
    parameters: Sequence[OpenApiParameter] = (),
) -> Any:
    """A GET answering a Eureka document in JSON or XML (and 404 if ``not_found``)."""
    responses: dict[Any, Any] = {
        (200, media_type): OpenApiResponse(
            shape,
            description=_FORMATS,
            examples=[_example(k, v, media_type) for k, v in examples.items()],
        )
        for media_type in (JSON, XML)
    }
    if not_found:
        responses[404] = _empty(not_found)
    return _operation(operation_id, summary, description, responses, "GET", parameters)


def _docs(**operations: Any) -> Callable[[View], View]:
    """Documents a view: ``operations`` per method, and :class:`EurekaAutoSchema`."""

    def decorate(view: View) -> View:
        view.schema = EurekaAutoSchema()  # type: ignore[attr-defined]
        decorated: View = extend_schema_view(**operations)(view)
        return decorated

    return decorate


def _query(name: str, kind: Any, description: str, **kwargs: Any) -> OpenApiParameter:
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, description=description, **kwargs
    )


_REGIONS = [_query("regions", str, "Remote regions: ignored.")]
_LAST_DIRTY = _query(
    "lastDirtyTimestamp", int, "The client's (ms); raises the stored one."
)
_STATUS = {"type": "string", "enum": STATUS_CHOICES}


# --- the operations ---------------------------------------------------------------

_REGISTER = f"""\
Registers or replaces (upsert) the instance `<APP>:<instanceId>`. The body is
`{{"instance": {{...}}}}` in JSON or `<instance>` in XML, by `Content-Type` (`…json`,
`…xml`; none: XML if the body starts with `<`). A body that does not parse is a 400
(`Malformed JSON`, ...); then the checks, each failing with 400 and a `text/plain`
reason: `Missing instance` (no root), `Missing instanceId`, `Missing hostName`,
`Missing ipAddr`, `Missing app`, `Mismatched appName` (body vs path), `Missing
dataCenterInfo`, `Missing dataCenterInfo Name`, then the byte limits (`service_name
exceeded 64 bytes` for the app name, `endpoint exceeded 128 bytes`, `metadata
exceeded 1024 bytes`). A full namespace (`namespace_capacity`) is a 403.

A body with an older `lastDirtyTimestamp` than the stored copy only renews it. A
status override set with `PUT …/status` survives; the status is the body's own if
`DOWN`, `STARTING` or `{UNKNOWN}`, else the override, else a stored `UP` or
`OUT_OF_SERVICE`, else the body's own."""

applications_docs = _docs(
    get=_get(
        "getApplications",
        "Full registry",
        "Every application with at least one instance, any status; `versions__delta` "
        'is `"1"`. `apps` and `apps/` both answer, without redirect.' + _STALE,
        ApplicationsDocument,
        {"registry": _registry("1", _APPLICATION), "empty": _registry("1")},
        parameters=_REGIONS,
    )
)
delta_docs = _docs(
    get=_get(
        "getDelta",
        "Recent changes",
        "Instances registered (`ADDED`), changed (`MODIFIED`) or removed (`DELETED`) "
        "in the last three minutes, possibly repeated. `apps__hashcode` is the full "
        "registry's; `versions__delta` grows with the changes. Also `apps/delta`.",
        ApplicationsDocument,
        {"delta": _registry("7", _APPLICATION)},
        parameters=_REGIONS,
    )
)
application_docs = _docs(
    get=_get(
        "getApplication",
        "One application",
        "The application's instances, any status." + _STALE,
        ApplicationDocument,
        {"application": {"application": _APPLICATION}},
        not_found="The application has no instance.",
    ),
    post=_operation(
        "registerInstance",
        "Register an instance",
        _REGISTER,
        {
            204: _empty("Registered: clients require exactly 204."),
            (400, TEXT): OpenApiResponse(
                str,
                description="Not parseable, or not registrable: a short reason.",
                examples=[
                    OpenApiExample(text, value=text, media_type=TEXT)
                    for text in ("Missing hostName", "Malformed JSON")
                ],
            ),
            403: _empty("The namespace is full (`namespace_capacity`)."),
            415: _empty("`Content-Type` is neither JSON nor XML."),
        },
        "POST",
        request={
            media_type: OpenApiRequest(
                Registration, examples=[_example("instance", _REGISTRATION, media_type)]
            )
            for media_type in (JSON, XML)
        },
    ),
)
_ONE_INSTANCE = {"instance": {"instance": _INSTANCE}}
instance_docs = _docs(
    get=_get(
        "getInstance",
        "One instance",
        "The instance, as stored now.",
        InstanceDocument,
        _ONE_INSTANCE,
        not_found="Unknown application or instance.",
    ),
    put=_operation(
        "renewInstance",
        "Renew (heartbeat)",
        "Restarts the instance's TTL. 404 asks the client to register again: unknown "
        "instance, status `UNKNOWN` (after an override removal), or a "
        "`lastDirtyTimestamp` newer than the stored one.",
        {200: _empty("Renewed."), 404: _NOT_FOUND},
        "PUT",
        [
            _query("status", str, "Ignored: clients re-register instead."),
            _query("lastDirtyTimestamp", int, "The client's (ms): if newer, 404."),
            _query("overriddenstatus", str, "Ignored (replication only)."),
        ],
    ),
    delete=_operation(
        "cancelInstance",
        "Cancel (deregister)",
        "Removes the instance at once (`DELETED` in the delta).",
        {200: _empty("Removed."), 404: _NOT_FOUND},
        "DELETE",
    ),
)
status_docs = _docs(
    put=_operation(
        "overrideStatus",
        "Set the status override",
        "Sets `status` and `overriddenstatus` to `value` (e.g. `OUT_OF_SERVICE`); the "
        "override survives re-registration.",
        {
            200: _empty("Overridden."),
            400: _empty("`value` missing or not a status (Eureka answers 500)."),
            404: _NOT_FOUND,
        },
        "PUT",
        [_query("value", _STATUS, "The status, any case.", required=True), _LAST_DIRTY],
    ),
    delete=_operation(
        "removeStatusOverride",
        "Remove the status override",
        f"Sets `overriddenstatus` to `{UNKNOWN}` and `status` to `value`, by default "
        f"`{UNKNOWN}`: the next renewal then gets 404 and the client registers again "
        "with its own status.",
        {200: _empty("Removed."), 404: _NOT_FOUND},
        "DELETE",
        [_query("value", _STATUS, "Fallback status; any case."), _LAST_DIRTY],
    ),
)
metadata_docs = _docs(
    put=_operation(
        "updateMetadata",
        "Merge metadata",
        "Each query parameter `k=v` sets metadata `k` to `v`, other keys are kept; "
        "the instance is registered again (`ADDED` in the delta).",
        {
            200: _empty("Merged."),
            400: _empty("The metadata would pass 1024 bytes."),
            404: _NOT_FOUND,
        },
        "PUT",
        [
            _query(
                "metadata",
                {"type": "object", "additionalProperties": {"type": "string"}},
                "Any `key=value` pairs, e.g. `?zone=a&version=2`.",
                style="form",
                explode=True,
            )
        ],
    )
)
instance_by_id_docs = _docs(
    get=_get(
        "findInstance",
        "Find an instance in any application",
        "The first instance with this id, whatever its application.",
        InstanceDocument,
        _ONE_INSTANCE,
        not_found="No instance has this id.",
    )
)


def _vip_docs(member: str, operation_id: str) -> Callable[[View], View]:
    return _docs(
        get=_get(
            operation_id,
            f"Instances by {member}",
            f"Instances whose comma-separated `{member}` lists `vip` (natively "
            "registered ones: their service name), by application; "
            '`versions__delta` is `"-1"` and `apps__hashcode` counts these instances. '
            "No match: 200 with `application: []`." + _STALE,
            ApplicationsDocument,
            {"vip": _registry("-1", _APPLICATION)},
        )
    )


vip_docs = _vip_docs("vipAddress", "getVip")
secure_vip_docs = _vip_docs("secureVipAddress", "getSecureVip")
