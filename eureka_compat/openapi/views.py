"""The operations of :mod:`eureka_compat.views`, one ``*docs`` per view."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
)

from eureka_compat.fields import (
    APP,
    DATA_CENTER_NAME,
    FALLBACK_VALUE,
    METADATA,
    OVERRIDE_VALUE,
)
from eureka_compat.formats import JSON, XML
from eureka_compat.openapi.examples import (
    APPLICATION,
    ONE_INSTANCE,
    REGISTRATION,
    example,
    registry_document,
)
from eureka_compat.openapi.operations import empty, get_operation, operation
from eureka_compat.openapi.schema import docs
from eureka_compat.openapi.shapes import (
    ApplicationDocument,
    ApplicationsDocument,
    InstanceDocument,
    Registration,
)
from eureka_compat.statuses import UNKNOWN
from registry.http.fields import FieldSpec, json_schema
from registry.http.openapi import View, query
from registry.store.records import MAX_ENDPOINT_VALUE_BYTES

TEXT = "text/plain"
_NOT_FOUND = empty("Unknown application or instance; clients register again.")
#: The write routes address instances registered through the Eureka API only.
_NOT_REGISTERED = empty(
    "Unknown application or instance, or one registered through the native API "
    "(renewed and changed there only); clients register again."
)
_STALE = " Renewal times in it may be up to 30 s old (as with Eureka's cache)."
_REGIONS = [query("regions", str, "Remote regions: ignored.")]
_LONG_TEXT = (
    " Read as Java's `Long.parseLong`: text that is not an integer is ignored, an "
    "integer past a Java `long` is a 400. If repeated, the last value counts."
)


def _last_dirty(description: str) -> OpenApiParameter:
    # Any text and repeats are accepted, so the schema says string (array).
    return query(
        "lastDirtyTimestamp",
        {"type": "array", "items": {"type": "string"}},
        description + _LONG_TEXT,
        style="form",
        explode=True,
    )


_LAST_DIRTY = _last_dirty("The client's (ms); raises the stored one.")


def _status_value(spec: FieldSpec) -> OpenApiParameter:
    """The status routes' ``value``, from the table the view reads it with."""
    # A query value is always text (the table's schema may allow any JSON value).
    schema = {"type": "string", **json_schema(spec)}
    return query(spec.name, schema, spec.description, required=spec.required)


_REGISTER = f"""\
Registers or replaces (upsert) the instance `<APP>:<instanceId>`. The body is
`{{"instance": {{...}}}}` in JSON or `<instance>` in XML, by `Content-Type` (`…json`,
`…xml`; none: XML if the body starts with `<`). A body that does not parse is a 400
(`Malformed JSON`, `JSON nested deeper than 32 levels`, `XML nested deeper than 32
levels`, ...); then the checks, each failing with 400 and a `text/plain`
reason: `Missing instance` (no root), `Missing instanceId`, `Missing hostName`,
`Missing ipAddr`, `Missing app`, `Mismatched appName` (body vs path), `Missing
dataCenterInfo`, `Missing dataCenterInfo Name`, `Unknown dataCenterInfo name` (not
{", ".join(DATA_CENTER_NAME.choices or ())}, any case), `metadata is not an object`,
numbers past their Java type (`countryId out of range`: `int`; `lastDirtyTimestamp`:
`long`; ports, lease durations: `int`), then the byte limits, counted in UTF-8 bytes
(`service_name exceeded {APP.max_bytes} bytes` for the app name, `endpoint exceeded
{MAX_ENDPOINT_VALUE_BYTES} bytes` for `hostName:port`, `metadata exceeded
{METADATA.max_bytes} bytes` as compact JSON).
A full namespace (`namespace_capacity`) is a 403.

A body with an older `lastDirtyTimestamp` than the stored copy only renews it. A
status override set with `PUT …/status` survives; the status is the body's own if
`DOWN`, `STARTING` or `{UNKNOWN}`, else the override, else a stored `UP` or
`OUT_OF_SERVICE`, else the body's own."""

applications_docs = docs(
    get=get_operation(
        "getApplications",
        "Full registry",
        "Every application with at least one instance, any status; `versions__delta` "
        'is `"1"`. `apps` and `apps/` both answer, without redirect.' + _STALE,
        ApplicationsDocument,
        {
            "registry": registry_document("1", APPLICATION),
            "empty": registry_document("1"),
        },
        parameters=_REGIONS,
    )
)
delta_docs = docs(
    get=get_operation(
        "getDelta",
        "Recent changes",
        "Instances registered (`ADDED`), changed (`MODIFIED`) or removed (`DELETED`) "
        "in the last three minutes, possibly repeated. `apps__hashcode` is the full "
        "registry's; `versions__delta` grows with the changes. Also `apps/delta`.",
        ApplicationsDocument,
        {"delta": registry_document("7", APPLICATION)},
        parameters=_REGIONS,
    )
)
application_docs = docs(
    get=get_operation(
        "getApplication",
        "One application",
        "The application's instances, any status." + _STALE,
        ApplicationDocument,
        {"application": {"application": APPLICATION}},
        not_found="The application has no instance.",
    ),
    post=operation(
        "registerInstance",
        "Register an instance",
        _REGISTER,
        {
            204: empty("Registered: clients require exactly 204."),
            (400, TEXT): OpenApiResponse(
                str,
                description="Not parseable, or not registrable: a short reason.",
                examples=[
                    OpenApiExample(text, value=text, media_type=TEXT)
                    for text in ("Missing hostName", "Malformed JSON")
                ],
            ),
            403: empty("The namespace is full (`namespace_capacity`)."),
            415: empty("`Content-Type` is neither JSON nor XML."),
        },
        "POST",
        request={
            media_type: OpenApiRequest(
                Registration, examples=[example("instance", REGISTRATION, media_type)]
            )
            for media_type in (JSON, XML)
        },
    ),
)
instance_docs = docs(
    get=get_operation(
        "getInstance",
        "One instance",
        "The instance, as stored now.",
        InstanceDocument,
        ONE_INSTANCE,
        not_found="Unknown application or instance.",
    ),
    put=operation(
        "renewInstance",
        "Renew (heartbeat)",
        "Restarts the instance's TTL. 404 asks the client to register again: unknown "
        "instance (natively registered ones included), status `UNKNOWN` (after an "
        "override removal), or a `lastDirtyTimestamp` newer than the stored one.",
        {200: empty("Renewed."), 404: _NOT_REGISTERED},
        "PUT",
        [
            query("status", str, "Ignored: clients re-register instead."),
            _last_dirty("The client's (ms): if newer, 404."),
            query("overriddenstatus", str, "Ignored (replication only)."),
        ],
    ),
    delete=operation(
        "cancelInstance",
        "Cancel (deregister)",
        "Removes the instance at once (`DELETED` in the delta).",
        {200: empty("Removed."), 404: _NOT_REGISTERED},
        "DELETE",
    ),
)
status_docs = docs(
    put=operation(
        "overrideStatus",
        "Set the status override",
        "Sets `status` and `overriddenstatus` to `value` (e.g. `OUT_OF_SERVICE`); the "
        "override survives re-registration.",
        {
            200: empty("Overridden."),
            400: empty("`value` missing or not a status (Eureka answers 500)."),
            404: _NOT_REGISTERED,
        },
        "PUT",
        [_status_value(OVERRIDE_VALUE), _LAST_DIRTY],
    ),
    delete=operation(
        "removeStatusOverride",
        "Remove the status override",
        f"Sets `overriddenstatus` to `{UNKNOWN}` and `status` to `value`, by default "
        f"`{UNKNOWN}`: the next renewal then gets 404 and the client registers again "
        "with its own status.",
        {200: empty("Removed."), 404: _NOT_REGISTERED},
        "DELETE",
        [_status_value(FALLBACK_VALUE), _LAST_DIRTY],
    ),
)
metadata_docs = docs(
    put=operation(
        "updateMetadata",
        "Merge metadata",
        "Each query parameter `k=v` sets metadata `k` to `v`, other keys are kept; "
        "the instance is registered again (`ADDED` in the delta).",
        {
            200: empty("Merged."),
            400: empty(
                f"The metadata would pass {METADATA.max_bytes} bytes (compact JSON, "
                "UTF-8)."
            ),
            404: _NOT_REGISTERED,
        },
        "PUT",
        [
            query(
                "metadata",
                {"type": "object", "additionalProperties": {"type": "string"}},
                "Any `key=value` pairs, e.g. `?zone=a&version=2`: every query key is a "
                "metadata key (no other parameter exists); a repeated key: the last "
                "value counts.",
                style="form",
                explode=True,
            )
        ],
    )
)
instance_by_id_docs = docs(
    get=get_operation(
        "findInstance",
        "Find an instance in any application",
        "The first instance with this id, whatever its application.",
        InstanceDocument,
        ONE_INSTANCE,
        not_found="No instance has this id.",
    )
)


def _vip_docs(member: str, operation_id: str) -> Callable[[View], View]:
    return docs(
        get=get_operation(
            operation_id,
            f"Instances by {member}",
            f"Instances whose comma-separated `{member}` lists `vip` (natively "
            "registered ones: their service name), by application; "
            '`versions__delta` is `"-1"` and `apps__hashcode` counts these instances. '
            "No match: 200 with `application: []`." + _STALE,
            ApplicationsDocument,
            {"vip": registry_document("-1", APPLICATION)},
        )
    )


vip_docs = _vip_docs("vipAddress", "getVip")
secure_vip_docs = _vip_docs("secureVipAddress", "getSecureVip")
