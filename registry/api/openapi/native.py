"""The operations of :mod:`registry.api.native`: services and instances."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema_view,
)

from registry.api.errors import (
    DEREGISTRATION_FAILED,
    INSTANCE_NOT_FOUND,
    RENEWAL_FAILED,
    SERVICE_LOOKUP_FAILED,
    TOO_LONG_TEXTS,
)
from registry.api.openapi.operations import TAG_INSTANCES, TAG_SERVICES, operation
from registry.api.openapi.parameters import (
    INSTANCE_ID_PATH,
    SELECTION_PARAMS,
    SERVICE_NAME_PATH,
)
from registry.api.openapi.responses import empty, errors
from registry.api.openapi.shapes import (
    InstanceListSerializer,
    RegisteredInstanceSerializer,
    RegistrationSerializer,
    ServiceInstancesSerializer,
    ServiceListSerializer,
    SingleInstanceSerializer,
)
from registry.api.registration import (
    ENDPOINT_INCOMPLETE,
    ENDPOINT_REQUIRED,
    ENDPOINT_TYPE_INVALID,
    REGISTRATION_FAILED,
    SERVICE_NAME_REQUIRED,
    STATUS_INVALID,
)
from registry.api.selection import BAD_CRITERIA, BAD_FIELDS, STATUS_ALL
from registry.http.json_bodies import TOO_DEEP
from registry.http.openapi import View
from registry.http.transport import MAX_BODY_DEPTH
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
)

_EXAMPLE_ID = "26634d9e31ce714e"
_EXAMPLE_SELF = f"http://registry.example.com:8080/api/v1/instances/{_EXAMPLE_ID}"
_EXAMPLE_INSTANCE = {
    "id": _EXAMPLE_ID,
    "service_name": "reviews",
    "endpoint": {"type": "http", "value": "10.0.0.5:9080"},
    "ttl": 45,
    "status": "UP",
    "metadata": {"version": "v1"},
    "last_heartbeat": "2017-03-01T10:00:05.5Z",
    "tags": ["v1"],
}


def native_service_docs(view: View) -> View:
    """Document :class:`registry.api.native.ServiceViewSet`."""
    decorate = extend_schema_view(
        list=operation(
            operation_id="listServices",
            summary="List service names",
            description=(
                "Names of every service with at least one instance in the namespace, "
                "whatever its status. Collections are unordered."
            ),
            tag=TAG_SERVICES,
            body_codes=[200],
            responses={
                200: OpenApiResponse(
                    ServiceListSerializer,
                    description="The service names (possibly none).",
                    examples=[
                        OpenApiExample(
                            "services", value={"services": ["reviews", "ratings"]}
                        )
                    ],
                ),
            },
        ),
        retrieve=operation(
            operation_id="getServiceInstances",
            summary="List the instances of one service",
            description=(
                "Every instance of the service, **all statuses**, no filtering or "
                "projection. Deprecated in the original API's description; "
                "`GET /api/v1/instances?service_name=<name>` answers the same. A "
                "service without live instances is unknown (404)."
            ),
            tag=TAG_SERVICES,
            parameters=[SERVICE_NAME_PATH],
            body_codes=[200],
            deprecated=True,
            responses={
                200: OpenApiResponse(
                    ServiceInstancesSerializer,
                    description="The service's instances.",
                    examples=[
                        OpenApiExample(
                            "service",
                            value={
                                "service_name": "reviews",
                                "instances": [_EXAMPLE_INSTANCE],
                            },
                        )
                    ],
                ),
                404: errors(
                    "No instance of this service exists (sic: the text is the "
                    "original's lookup-failure message).",
                    ("Unknown service", SERVICE_LOOKUP_FAILED),
                ),
            },
        ),
    )
    return decorate(view)


_LISTING_DESCRIPTION = f"""\
Instances of the namespace that pass the selection, as full objects or projected with
`fields`. Collections are unordered.

Parameter names are case-sensitive and only the first value of a repeated parameter
counts. **Any other parameter** (including the field names `endpoint`, `ttl`,
`metadata`, `last_heartbeat`, `links` and cache-busters such as `_=<timestamp>`) → 400
`{BAD_CRITERIA}`. `fields` is checked first.

**Default status filter (kept from the original, quirk Q11):** with no selection
parameter at all (or only `fields`), `STARTING` and `OUT_OF_SERVICE` instances are
hidden. As soon as `service_name`, `id` or `tags` is given without `status`, instances
of **every** status are returned. `status={STATUS_ALL}` lifts the status constraint
explicitly.

| query | returns |
|---|---|
| (none) | every instance except `STARTING` / `OUT_OF_SERVICE` |
| `?service_name=db` | every instance of `db`, any status |
| `?status=up` | `UP` instances |
| `?status={STATUS_ALL}` | every instance |
| `?status=STARTING&tags=DB` | `STARTING` instances tagged `DB` |
| `?fields=status,ttl&service_name=db` | `id`, `endpoint`, `ttl`, `status` of `db`'s |
| `?ttl=5`, `?BLABLA=5` | 400 |
"""

_REGISTRATION_CHECKS = f"""\
Registers an instance, or replaces it: the id is derived from service name, endpoint
type and endpoint value, so registering the same triple again overwrites every field
and restarts the TTL. The instance expires unless it sends a heartbeat within its TTL
(`OUT_OF_SERVICE` instances never expire).

Checks, in order; the first failure answers:

1. HTTPS (301) and authentication (401);
2. the body is a JSON object whose members have the documented types (`ttl` within
   0…4294967295) → else 400 `{REGISTRATION_FAILED}`; nested deeper than
   {MAX_BODY_DEPTH} levels → 400 `{TOO_DEEP}`;
3. `service_name` present and non-empty → else 400 `{SERVICE_NAME_REQUIRED}`;
4. `endpoint` present → else 400 `{ENDPOINT_REQUIRED}`;
5. `endpoint.type` and `endpoint.value` are strings (else 400
   `{REGISTRATION_FAILED}`) and not empty or blank → else 400
   `{ENDPOINT_INCOMPLETE}`;
6. `endpoint.type` allowed → else 400 `{ENDPOINT_TYPE_INVALID}`;
7. `status` allowed → else 400 `{STATUS_INVALID}`;
8. byte limits (UTF-8 bytes, not characters): `service_name`
   {MAX_SERVICE_NAME_BYTES}, `endpoint.value` {MAX_ENDPOINT_VALUE_BYTES}, `metadata`
   {MAX_METADATA_BYTES} as compact JSON → 400;
9. namespace capacity (`namespace_capacity`, new ids only) → 403
   `{REGISTRATION_FAILED}`.
"""


def native_instance_docs(view: View) -> View:
    """Document :class:`registry.api.native.InstanceViewSet`."""
    decorate = extend_schema_view(
        create=operation(
            operation_id="registerInstance",
            summary="Register an instance",
            description=_REGISTRATION_CHECKS,
            tag=TAG_INSTANCES,
            method="POST",
            body_codes=[201],
            request={
                "application/json": OpenApiRequest(
                    RegistrationSerializer,
                    examples=[
                        OpenApiExample(
                            "registration",
                            value={
                                "service_name": "reviews",
                                "endpoint": {"type": "http", "value": "10.0.0.5:9080"},
                                "ttl": 45,
                                "status": "up",
                                "tags": ["v1"],
                                "metadata": {"version": "v1"},
                            },
                        )
                    ],
                )
            },
            responses={
                201: OpenApiResponse(
                    RegisteredInstanceSerializer,
                    description="Registered (created or replaced).",
                    examples=[
                        OpenApiExample(
                            "registered",
                            value={
                                "id": _EXAMPLE_ID,
                                "ttl": 45,
                                "links": {
                                    "self": _EXAMPLE_SELF,
                                    "heartbeat": f"{_EXAMPLE_SELF}/heartbeat",
                                },
                            },
                        )
                    ],
                ),
                400: errors(
                    "The body cannot be registered; the first failing check answers.",
                    ("Not JSON, or a member of the wrong type", REGISTRATION_FAILED),
                    ("JSON nested too deep", TOO_DEEP),
                    ("`service_name` missing or empty", SERVICE_NAME_REQUIRED),
                    ("`endpoint` missing or null", ENDPOINT_REQUIRED),
                    ("`endpoint.type` or `.value` empty", ENDPOINT_INCOMPLETE),
                    ("`endpoint.type` not allowed", ENDPOINT_TYPE_INVALID),
                    ("`status` not allowed", STATUS_INVALID),
                    ("`service_name` too long", TOO_LONG_TEXTS["service_name"]),
                    ("`endpoint.value` too long", TOO_LONG_TEXTS["endpoint"]),
                    ("`metadata` too long", TOO_LONG_TEXTS["metadata"]),
                ),
                403: errors(
                    "The namespace holds `namespace_capacity` instances already "
                    "(replacing an existing id always succeeds).",
                    ("Namespace full", REGISTRATION_FAILED),
                ),
            },
        ),
        list=operation(
            operation_id="listInstances",
            summary="List, filter and project instances",
            description=_LISTING_DESCRIPTION,
            tag=TAG_INSTANCES,
            parameters=SELECTION_PARAMS,
            body_codes=[200],
            responses={
                200: OpenApiResponse(
                    InstanceListSerializer,
                    description="The selected instances (possibly none).",
                    examples=[
                        OpenApiExample(
                            "projected",
                            summary="?service_name=reviews&fields=status",
                            value={
                                "instances": [
                                    {
                                        "id": _EXAMPLE_ID,
                                        "endpoint": _EXAMPLE_INSTANCE["endpoint"],
                                        "status": "UP",
                                    }
                                ]
                            },
                        ),
                        OpenApiExample(
                            "full", value={"instances": [_EXAMPLE_INSTANCE]}
                        ),
                    ],
                ),
                400: errors(
                    "Bad query.",
                    ("Unknown name in `fields`", BAD_FIELDS),
                    ("Unknown or non-filterable parameter", BAD_CRITERIA),
                ),
            },
        ),
        retrieve=operation(
            operation_id="getInstance",
            summary="Get one instance",
            description=(
                "One instance, with the members of the listing. (Not served by the "
                "original registry, where `links.self` pointed at a 405.)"
            ),
            tag=TAG_INSTANCES,
            parameters=[INSTANCE_ID_PATH],
            body_codes=[200],
            responses={
                200: OpenApiResponse(
                    SingleInstanceSerializer,
                    description="The instance.",
                    examples=[
                        OpenApiExample(
                            "instance", value={"instance": _EXAMPLE_INSTANCE}
                        )
                    ],
                ),
                404: errors(
                    "No such instance in the namespace (or it expired).",
                    ("Unknown id", INSTANCE_NOT_FOUND),
                ),
            },
        ),
        destroy=operation(
            operation_id="deregisterInstance",
            summary="Deregister an instance",
            description="Removes the instance from the namespace at once.",
            tag=TAG_INSTANCES,
            method="DELETE",
            parameters=[INSTANCE_ID_PATH],
            responses={
                200: empty("Deregistered. Empty body."),
                410: errors(
                    "No such instance: never registered, already deregistered or "
                    "expired.",
                    ("Unknown id", DEREGISTRATION_FAILED),
                ),
            },
        ),
        heartbeat=operation(
            operation_id="renewInstance",
            summary="Send a heartbeat",
            description=(
                "Restarts the instance's TTL countdown; TTL and status are unchanged "
                "and any body is ignored. On 410 the client should register again "
                "(it gets the same id)."
            ),
            tag=TAG_INSTANCES,
            method="PUT",
            parameters=[INSTANCE_ID_PATH],
            responses={
                200: empty("Renewed. Empty body."),
                410: errors(
                    "No such instance: never registered, deregistered or expired.",
                    ("Unknown id", RENEWAL_FAILED),
                ),
            },
        ),
    )
    return decorate(view)
