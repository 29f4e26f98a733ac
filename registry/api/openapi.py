"""The OpenAPI description of the HTTP API (drf-spectacular), at ``/api/schema/``.

Nothing here takes part in handling a request. The serializers are documentation
shapes only: bodies are parsed by :mod:`registry.api.registration` and rendered by
:mod:`registry.api.rendering`. Every error text is taken from the constant the views
use, so the description cannot drift from the behaviour (``tests/test_openapi.py``
checks the wiring).

The views are decorated with :func:`native_service_docs`, :func:`native_instance_docs`,
:func:`root_docs` and :func:`uptime_docs`. Importing this module also registers
:class:`BearerAuthenticationScheme`, so every module using the decorators imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers

from registry.api.errors import (
    INTERNAL_SERVER_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    STORE_UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
)
from registry.api.registration import (
    ENDPOINT_INCOMPLETE,
    ENDPOINT_REQUIRED,
    ENDPOINT_TYPE_INVALID,
    ENDPOINT_TYPES,
    MAX_TTL_SECONDS,
    REGISTRATION_FAILED,
    REGISTRATION_STATUSES,
    SERVICE_NAME_REQUIRED,
    STATUS_INVALID,
)
from registry.api.rendering import INSTANCE_FIELDS
from registry.api.selection import BAD_CRITERIA, BAD_FIELDS, STATUS_ALL
from registry.resolvers import (
    DEFAULT_NAMESPACE,
    InvalidTokenError,
    MalformedAuthorizationError,
    MissingTokenError,
)
from registry.store.records import (
    MAX_ENDPOINT_VALUE_BYTES,
    MAX_METADATA_BYTES,
    MAX_SERVICE_NAME_BYTES,
)

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.request import Request

__all__ = [
    "BEARER_SCHEME_NAME",
    "ENDPOINT_TYPE_CHOICES",
    "REGISTRATION_STATUS_CHOICES",
    "BearerAuthenticationScheme",
    "describe_common_behaviour",
    "native_instance_docs",
    "native_service_docs",
    "root_docs",
    "uptime_docs",
]

View = TypeVar("View", bound=type)

BEARER_SCHEME_NAME = "bearerAuth"
#: Enum values of the registration body, in a stable order (``ENUM_NAME_OVERRIDES``).
ENDPOINT_TYPE_CHOICES = tuple(sorted(ENDPOINT_TYPES))
REGISTRATION_STATUS_CHOICES = tuple(REGISTRATION_STATUSES)

TAG_SERVICES = "services"
TAG_INSTANCES = "instances"
TAG_HEALTH = "health"


# --- authentication -------------------------------------------------------------

BEARER_DESCRIPTION = f"""\
`Authorization: Bearer <token>` selects the **namespace** (tenant) a request acts
in; namespaces are fully isolated. The scheme word is case-insensitive; any other form
of the header is rejected with 401 `{MalformedAuthorizationError.text}`. What the
token means depends on the server's `auth_mode` setting (`A8_AUTH_MODE`):

* **no mode** (the default, single tenant): the header is optional. No token, an
  empty token or the token `{DEFAULT_NAMESPACE}` select the namespace
  `{DEFAULT_NAMESPACE}`; any other token is rejected (401 `{InvalidTokenError.text}`).
  This is why every operation also lists the empty security requirement `{{}}`.
* **`trusted`**: a proxy in front has authenticated the caller; the token *is* the
  namespace name, verbatim. No token → 401 `{MissingTokenError.text}`.
* **`jwt`**: the token is an HS256 JWT signed with the shared `jwt_secret`, whose string
  claim `namespace` names the namespace; `exp` and `nbf` are checked when present. Any
  other algorithm (including `none`), a bad signature, an expired token or a missing or
  non-string `namespace` claim → 401 `{InvalidTokenError.text}`. No token → 401
  `{MissingTokenError.text}`.
* **chains** (`jwt,trusted`, ...): the modes are tried in order. Only `jwt` passes
  on a token that is not JWT-shaped, so with `jwt,trusted` well-formed JWTs are
  verified and any other token names a namespace; `trusted,jwt` never consults `jwt`.
  Once any mode is configured a request without a token is rejected.

401 responses carry `WWW-Authenticate: Bearer realm="registry"`.
"""


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents :class:`registry.api.authentication.BearerAuthentication`."""

    target_class = "registry.api.authentication.BearerAuthentication"
    match_subclasses = True
    name = BEARER_SCHEME_NAME

    def get_security_definition(
        self, auto_schema: AutoSchema
    ) -> dict[str, Any] | list[dict[str, Any]]:
        return {"type": "http", "scheme": "bearer", "description": BEARER_DESCRIPTION}

    def get_security_requirement(
        self, auto_schema: AutoSchema
    ) -> dict[str, list[Any]] | list[dict[str, list[Any]]]:
        # A bearer token, or none at all when no auth mode is configured.
        return [{BEARER_SCHEME_NAME: []}, {}]


# --- documentation shapes -------------------------------------------------------


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error body: exactly one member, `Error` (capital E)."""

    Error = serializers.CharField(help_text="Human-readable message.")


class RegistrationEndpointSerializer(serializers.Serializer[Any]):
    """Where the instance is reached."""

    type = serializers.ChoiceField(
        choices=ENDPOINT_TYPE_CHOICES,
        help_text="Exactly one of the listed values (case-sensitive).",
    )
    value = serializers.CharField(
        max_length=MAX_ENDPOINT_VALUE_BYTES,
        help_text=(
            f"Free format (`host:port`, a URL, ...), not trimmed; must not be empty or "
            f"whitespace only; at most {MAX_ENDPOINT_VALUE_BYTES} bytes of UTF-8."
        ),
    )


class RegistrationSerializer(serializers.Serializer[Any]):
    """The body of `POST /api/v1/instances`.

    Member names match case-insensitively (`Service_Name` fills `service_name`), the
    last of duplicate members wins, unknown members are ignored, and the literal `null`
    counts as an empty object. A member of the wrong JSON type fails the whole body.
    """

    service_name = serializers.CharField(
        max_length=MAX_SERVICE_NAME_BYTES,
        help_text=(
            f"Any characters, at most {MAX_SERVICE_NAME_BYTES} bytes of UTF-8. Names "
            f"containing `/` can be registered but not looked up by path."
        ),
    )
    endpoint = RegistrationEndpointSerializer()
    ttl = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_TTL_SECONDS,
        help_text=(
            "Requested time to live in whole seconds. Absent or 0: the server's "
            "`default_ttl` (30 s unless configured). Otherwise clamped into "
            "[`min_ttl`, `max_ttl`] (10 s and 10 min unless configured), never "
            "rejected for being out of that range. The granted TTL is in the response."
        ),
    )
    status = serializers.ChoiceField(
        choices=REGISTRATION_STATUS_CHOICES,
        required=False,
        help_text=(
            "Matched case-insensitively and stored upper-case (`up` → `UP`); absent, "
            "`null` or empty means `UP`. `STARTING` and `OUT_OF_SERVICE` instances are "
            "hidden from the default listing; `OUT_OF_SERVICE` ones never expire."
        ),
    )
    metadata = serializers.JSONField(
        required=False,
        help_text=(
            f"Any JSON value (object, array, string, number, boolean or null), stored "
            f"and returned as compact JSON; at most {MAX_METADATA_BYTES} bytes."
        ),
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Stored as given: order and duplicates are kept.",
    )


class EndpointSerializer(serializers.Serializer[Any]):
    """Where an instance is reached."""

    type = serializers.CharField(
        required=False,
        help_text=(
            "`tcp`, `udp`, `http`, `https` or `user` for native registrations; "
            "omitted when empty."
        ),
    )
    value = serializers.CharField()


class InstanceSerializer(serializers.Serializer[Any]):
    """One instance. Empty members are omitted; with the listing's `fields`
    projection only the requested members (and always `id` and `endpoint`) appear.
    """

    id = serializers.CharField(
        help_text=(
            "16 lower-case hex digits for native registrations (derived from service "
            "name and endpoint: registering them again replaces the instance)."
        )
    )
    service_name = serializers.CharField(required=False)
    endpoint = EndpointSerializer()
    ttl = serializers.IntegerField(
        required=False, min_value=0, help_text="Granted TTL in seconds; omitted when 0."
    )
    status = serializers.CharField(
        required=False,
        help_text=(
            "`UP`, `STARTING` or `OUT_OF_SERVICE` for native registrations; other APIs "
            "may store other values. Omitted when empty."
        ),
    )
    metadata = serializers.JSONField(
        required=False,
        help_text=(
            "The registered metadata (any JSON value, compacted; an explicit `null` "
            "stays `null`); omitted when none was registered."
        ),
    )
    last_heartbeat = serializers.DateTimeField(
        required=False,
        help_text=(
            "Time of the registration or the last heartbeat: RFC 3339 in UTC with "
            "nanoseconds, trailing zeros trimmed (`2017-03-01T10:00:05.5Z`)."
        ),
    )
    tags = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Omitted when empty.",
    )


class InstanceLinksSerializer(serializers.Serializer[Any]):
    self = serializers.URLField(
        help_text="`http(s)://<Host header>/api/v1/instances/<id>`; also `Location`."
    )
    heartbeat = serializers.URLField(
        help_text="`http(s)://<Host header>/api/v1/instances/<id>/heartbeat`."
    )


class RegisteredInstanceSerializer(serializers.Serializer[Any]):
    """The answer to a registration; no other members."""

    id = serializers.CharField()
    ttl = serializers.IntegerField(help_text="The TTL granted, in seconds.")
    links = InstanceLinksSerializer(
        help_text=(
            "`https` when the request arrived over HTTPS (per `X-Forwarded-Proto` or "
            "`$WSSC`), else `http`."
        )
    )


@extend_schema_serializer(many=False)
class ServiceListSerializer(serializers.Serializer[Any]):
    services = serializers.ListField(
        child=serializers.CharField(),
        help_text="Names of the services with at least one instance, any status.",
    )


class ServiceInstancesSerializer(serializers.Serializer[Any]):
    service_name = serializers.CharField()
    instances = InstanceSerializer(many=True, help_text="Every status; never empty.")


@extend_schema_serializer(many=False)
class InstanceListSerializer(serializers.Serializer[Any]):
    instances = InstanceSerializer(many=True)


class SingleInstanceSerializer(serializers.Serializer[Any]):
    instance = InstanceSerializer()


class UptimePropertiesSerializer(serializers.Serializer[Any]):
    build_date = serializers.CharField(
        help_text="`A8_BUILD_DATE`, or `0001-01-01T00:00:00Z` when unknown."
    )
    build_pythonversion = serializers.CharField()
    build_revision = serializers.CharField(
        help_text="`A8_BUILD_REVISION`, or `unknown`."
    )
    build_version = serializers.CharField()
    load_15m = serializers.FloatField()
    load_1m = serializers.FloatField()
    load_5m = serializers.FloatField()
    uptime = serializers.CharField(
        help_text="Time since start in Go duration notation, e.g. `1h2m3.456789s`."
    )


class UptimeComponentSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField()
    properties = UptimePropertiesSerializer()


class UptimeReportSerializer(serializers.Serializer[Any]):
    """Component name → health."""

    UPTIME = UptimeComponentSerializer(help_text="Always present and healthy.")


# --- headers --------------------------------------------------------------------


def _header(
    name: str, description: str, codes: Sequence[int] | bool = True
) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=description,
        response=codes if isinstance(codes, bool) else list(codes),
    )


_REQUEST_ID_REQUEST = OpenApiParameter(
    "X-Request-Id",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Optional request id to use for this request (1-200 visible ASCII characters); "
        "otherwise one is generated. Echoed in `REQUEST_ID` and `X-Request-Id`."
    ),
)
_IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An `ETag` from an earlier answer, or `*`: 304 while it matches.",
)
_COMMON_RESPONSE_HEADERS = [
    _header(
        "REQUEST_ID",
        "Request id: `<10 letters>_<unix ns>_<counter>`, or the client's "
        "`X-Request-Id`.",
    ),
    _header("X-Request-Id", "Same value as `REQUEST_ID`."),
    _header("Vary", "Always `Accept-Encoding`."),
]


def _response_headers(
    *, api: bool, etag: bool, created: bool, body: Sequence[int]
) -> list[OpenApiParameter]:
    headers = list(_COMMON_RESPONSE_HEADERS)
    if body:
        headers.append(
            _header(
                "Content-Encoding",
                "`gzip` when `Accept-Encoding` allows it and the body has at least 256 "
                "bytes (error bodies are always shorter).",
                body,
            )
        )
    if etag:
        headers.append(
            _header(
                "ETag",
                "Weak validator of the body; send it back in `If-None-Match`.",
                [200, 304],
            )
        )
    if created:
        headers.append(
            _header("Location", "URL of the new instance (`links.self`).", [201])
        )
    if api:
        headers.append(_header("Location", "The same URL with `https://`.", [301]))
    if api:
        headers.append(_header("WWW-Authenticate", '`Bearer realm="registry"`.', [401]))
    headers.append(_header("Allow", "The methods this path serves.", [405]))
    return headers


# --- responses ------------------------------------------------------------------

Case = tuple[str, str]  # (example summary, Error text)


def _errors(description: str, *cases: Case) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(f"error{index}", value={"Error": text}, summary=summary)
            for index, (summary, text) in enumerate(cases, 1)
        ],
    )


def _empty(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=description)


AUTH_FAILED_CASES: tuple[Case, ...] = (
    ("Authorization header not `Bearer <token>`", MalformedAuthorizationError.text),
    ("No token, in `trusted` or `jwt` mode", MissingTokenError.text),
    ("Token grants no namespace", InvalidTokenError.text),
)


def _common_errors(*, api: bool, body: str) -> dict[int, OpenApiResponse]:
    """The errors any operation of a route can answer, whatever it does.

    ``api``: an ``/api/`` route, behind the HTTPS check, authentication and the store.
    """
    responses: dict[int, OpenApiResponse] = {
        405: _errors(
            "Any other method on this path, HEAD and OPTIONS included; `Allow` lists "
            "the methods the path serves.",
            ("Method not served on this path", METHOD_NOT_ALLOWED),
        ),
        415: _errors(
            "A request with a body (`Content-Length` > 0) whose `Content-Type` is not "
            "`application/json` (a charset, if given, must be UTF-8). Checked before "
            f"anything else. {body}",
            ("Body not declared as JSON", UNSUPPORTED_MEDIA_TYPE),
        ),
        500: _errors(
            "Unexpected server failure.",
            ("Unhandled exception", INTERNAL_SERVER_ERROR),
        ),
    }
    if api:
        responses[301] = _empty(
            "`require_https` is on and the request did not arrive over HTTPS (nor "
            "carries `X-Forwarded-Proto: https` or `$WSSC: https`): redirect to the "
            "`https://` URL in `Location`. Empty body; checked before authentication."
        )
        responses[401] = _errors(
            "No namespace for this request (see the `bearerAuth` scheme).",
            *AUTH_FAILED_CASES,
        )
        responses[503] = _errors(
            "The storage backend cannot be reached; retry later.",
            ("Store unavailable", STORE_UNAVAILABLE),
        )
    return responses


_NOT_MODIFIED = _empty(
    "`If-None-Match` matches the current `ETag` (weak comparison; `*` always matches). "
    "Empty body."
)


def _operation(
    *,
    operation_id: str,
    summary: str,
    description: str,
    tag: str,
    responses: dict[int, OpenApiResponse],
    auth: bool = True,
    method: str = "GET",
    body_codes: Sequence[int] = (),
    request: Any = None,
    parameters: Sequence[OpenApiParameter] = (),
    deprecated: bool = False,
) -> Callable[..., Any]:
    """``extend_schema`` with the errors, headers and auth every route shares.

    ``auth``: an ``/api/`` route (authenticated, behind the HTTPS check and the store).
    ``body_codes``: the success statuses that have a body.
    """
    is_get = method == "GET"
    body_note = "" if method in ("POST", "PUT") else "This operation takes no body."
    all_responses = _common_errors(api=auth, body=body_note)
    all_responses.update(responses)
    if is_get:
        all_responses[304] = _NOT_MODIFIED
    headers = _response_headers(
        api=auth, etag=is_get, created=201 in all_responses, body=body_codes
    )
    request_headers = [_REQUEST_ID_REQUEST] + ([_IF_NONE_MATCH] if is_get else [])
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        tags=[tag],
        request=request,
        responses=dict(sorted(all_responses.items())),
        parameters=[*parameters, *request_headers, *headers],
        deprecated=deprecated,
    )


# --- the native API -------------------------------------------------------------

_SERVICE_NAME_PATH = OpenApiParameter(
    "service_name",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Service name, percent-decoded (`a%20b` is the service `a b`).",
)
_INSTANCE_ID_PATH = OpenApiParameter(
    "instance_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Instance id, as returned by the registration (`id`).",
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
    # registry.api.native imports this module to decorate its views: its texts are
    # read when the decorator runs (they are defined above the views), not at import.
    from registry.api.native import SERVICE_LOOKUP_FAILED

    decorate = extend_schema_view(
        list=_operation(
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
        retrieve=_operation(
            operation_id="getServiceInstances",
            summary="List the instances of one service",
            description=(
                "Every instance of the service, **all statuses**, no filtering or "
                "projection. Deprecated in the original API's description; "
                "`GET /api/v1/instances?service_name=<name>` answers the same. A "
                "service without live instances is unknown (404)."
            ),
            tag=TAG_SERVICES,
            parameters=[_SERVICE_NAME_PATH],
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
                404: _errors(
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

_FIELDS_PARAM = OpenApiParameter(
    "fields",
    {"type": "array", "items": {"type": "string", "enum": list(INSTANCE_FIELDS)}},
    OpenApiParameter.QUERY,
    style="form",
    explode=False,
    description=(
        "Projection: comma-separated member names, no spaces. Absent → full objects; "
        "empty (`fields=`) → only `id` and `endpoint`, which are always included. "
        f"`links` is accepted and has no effect. Any other name → 400 `{BAD_FIELDS}`."
    ),
)
_SELECTION_PARAMS = [
    OpenApiParameter(
        "service_name",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Exact, case-sensitive service name.",
    ),
    OpenApiParameter(
        "id",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Exact instance id.",
    ),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description=(
            f"`UP`, `STARTING`, `OUT_OF_SERVICE` and `{STATUS_ALL}` are matched "
            f"case-insensitively; any other value is matched exactly (e.g. `DOWN`). "
            f"`{STATUS_ALL}`: any status. See the default filter above."
        ),
        examples=[
            OpenApiExample("up", value="UP"),
            OpenApiExample("all", value=STATUS_ALL),
        ],
    ),
    OpenApiParameter(
        "tags",
        {"type": "array", "items": {"type": "string"}},
        OpenApiParameter.QUERY,
        style="form",
        explode=False,
        description=(
            "Comma-separated tags; an instance must carry **all** of them "
            "(case-sensitive, not trimmed). `tags=` asks for the empty-string tag."
        ),
    ),
]

_REGISTRATION_CHECKS = f"""\
Registers an instance, or replaces it: the id is derived from service name, endpoint
type and endpoint value, so registering the same triple again overwrites every field
and restarts the TTL. The instance expires unless it sends a heartbeat within its TTL
(`OUT_OF_SERVICE` instances never expire).

Checks, in order; the first failure answers:

1. HTTPS (301) and authentication (401);
2. the body is a JSON object whose members have the documented types (`ttl` within
   0…4294967295) → else 400 `{REGISTRATION_FAILED}`;
3. `service_name` present and non-empty → else 400 `{SERVICE_NAME_REQUIRED}`;
4. `endpoint` present → else 400 `{ENDPOINT_REQUIRED}`;
5. `endpoint.type` and `endpoint.value` are strings (else 400
   `{REGISTRATION_FAILED}`) and not empty or blank → else 400
   `{ENDPOINT_INCOMPLETE}`;
6. `endpoint.type` allowed → else 400 `{ENDPOINT_TYPE_INVALID}`;
7. `status` allowed → else 400 `{STATUS_INVALID}`;
8. byte limits of `service_name`, `endpoint.value`, `metadata` → 400;
9. namespace capacity (`namespace_capacity`, new ids only) → 403
   `{REGISTRATION_FAILED}`.
"""


def native_instance_docs(view: View) -> View:
    """Document :class:`registry.api.native.InstanceViewSet`."""
    # See native_service_docs: read at decoration time, not at import.
    from registry.api.native import (
        DEREGISTRATION_FAILED,
        INSTANCE_NOT_FOUND,
        RENEWAL_FAILED,
        TOO_LONG_TEXTS,
    )

    decorate = extend_schema_view(
        create=_operation(
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
                400: _errors(
                    "The body cannot be registered; the first failing check answers.",
                    ("Not JSON, or a member of the wrong type", REGISTRATION_FAILED),
                    ("`service_name` missing or empty", SERVICE_NAME_REQUIRED),
                    ("`endpoint` missing or null", ENDPOINT_REQUIRED),
                    ("`endpoint.type` or `.value` empty", ENDPOINT_INCOMPLETE),
                    ("`endpoint.type` not allowed", ENDPOINT_TYPE_INVALID),
                    ("`status` not allowed", STATUS_INVALID),
                    ("`service_name` too long", TOO_LONG_TEXTS["service_name"]),
                    ("`endpoint.value` too long", TOO_LONG_TEXTS["endpoint"]),
                    ("`metadata` too long", TOO_LONG_TEXTS["metadata"]),
                ),
                403: _errors(
                    "The namespace holds `namespace_capacity` instances already "
                    "(replacing an existing id always succeeds).",
                    ("Namespace full", REGISTRATION_FAILED),
                ),
            },
        ),
        list=_operation(
            operation_id="listInstances",
            summary="List, filter and project instances",
            description=_LISTING_DESCRIPTION,
            tag=TAG_INSTANCES,
            parameters=[_FIELDS_PARAM, *_SELECTION_PARAMS],
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
                400: _errors(
                    "Bad query.",
                    ("Unknown name in `fields`", BAD_FIELDS),
                    ("Unknown or non-filterable parameter", BAD_CRITERIA),
                ),
            },
        ),
        retrieve=_operation(
            operation_id="getInstance",
            summary="Get one instance",
            description=(
                "One instance, with the members of the listing. (Not served by the "
                "original registry, where `links.self` pointed at a 405.)"
            ),
            tag=TAG_INSTANCES,
            parameters=[_INSTANCE_ID_PATH],
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
                404: _errors(
                    "No such instance in the namespace (or it expired).",
                    ("Unknown id", INSTANCE_NOT_FOUND),
                ),
            },
        ),
        destroy=_operation(
            operation_id="deregisterInstance",
            summary="Deregister an instance",
            description="Removes the instance from the namespace at once.",
            tag=TAG_INSTANCES,
            method="DELETE",
            parameters=[_INSTANCE_ID_PATH],
            responses={
                200: _empty("Deregistered. Empty body."),
                410: _errors(
                    "No such instance: never registered, already deregistered or "
                    "expired.",
                    ("Unknown id", DEREGISTRATION_FAILED),
                ),
            },
        ),
        heartbeat=_operation(
            operation_id="renewInstance",
            summary="Send a heartbeat",
            description=(
                "Restarts the instance's TTL countdown; TTL and status are unchanged "
                "and any body is ignored. On 410 the client should register again "
                "(it gets the same id)."
            ),
            tag=TAG_INSTANCES,
            method="PUT",
            parameters=[_INSTANCE_ID_PATH],
            responses={
                200: _empty("Renewed. Empty body."),
                410: _errors(
                    "No such instance: never registered, deregistered or expired.",
                    ("Unknown id", RENEWAL_FAILED),
                ),
            },
        ),
    )
    return decorate(view)


# --- health ---------------------------------------------------------------------


def root_docs(view: View) -> View:
    """Document :class:`registry.health.RootView`."""
    decorate = extend_schema_view(
        get=_operation(
            operation_id="probe",
            summary="Liveness probe",
            description=(
                "Always 200 with an empty body while the process answers. No "
                "authentication and no HTTPS redirect."
            ),
            tag=TAG_HEALTH,
            auth=False,
            responses={200: _empty("Alive. Empty body.")},
        )
    )
    return decorate(view)


def uptime_docs(view: View) -> View:
    """Document :class:`registry.health.UptimeView`."""
    report = OpenApiResponse(
        UptimeReportSerializer,
        description="Health of every component.",
        examples=[
            OpenApiExample(
                "report",
                value={
                    "UPTIME": {
                        "healthy": True,
                        "properties": {
                            "build_date": "0001-01-01T00:00:00Z",
                            "build_pythonversion": "3.11.7",
                            "build_revision": "unknown",
                            "build_version": "0.1.0",
                            "load_15m": 0.29,
                            "load_1m": 0.75,
                            "load_5m": 0.41,
                            "uptime": "5m12.000123s",
                        },
                    }
                },
            )
        ],
    )
    decorate = extend_schema_view(
        get=_operation(
            operation_id="uptime",
            summary="Health report",
            description=(
                "One entry per component, 200 when all are healthy, 503 when any is "
                "not. No authentication and no HTTPS redirect."
            ),
            tag=TAG_HEALTH,
            auth=False,
            body_codes=[200, 503],
            responses={
                200: report,
                503: OpenApiResponse(
                    UptimeReportSerializer,
                    description="A component is unhealthy (same body).",
                ),
            },
        )
    )
    return decorate(view)


# --- common behaviour (schema post-processing) -----------------------------------

COMMON_BEHAVIOUR = f"""

### Conventions of the native API (`/api/v1`, `/`, `/uptime`)

The Eureka routes (tag `eureka`) follow Eureka's own conventions instead: empty
error bodies, JSON or XML bodies. Their operations say so.

* **Errors**: every error body is `{{"Error": "<message>"}}` (capital `E`), with
  `Content-Type: application/json; charset=utf-8`. A path that matches no route →
  404 `{NOT_FOUND}` (paths are exact: no trailing-slash variants); a known path with
  another method → 405 `{METHOD_NOT_ALLOWED}` with `Allow`.
* **Requests with a body** must be `Content-Type: application/json` (charset UTF-8)
  → else 415 `{UNSUPPORTED_MEDIA_TYPE}`, on every path outside the Eureka API.
* **Namespaces**: `/api/v1` operations act in the namespace selected by the bearer
  token (see the `bearerAuth` scheme); namespaces are isolated from each other.
* **Caching**: every successful GET carries a weak `ETag`; send it in `If-None-Match`
  to get `304 Not Modified` while nothing changed.
* **Compression**: bodies of 256 bytes or more are gzip-compressed when
  `Accept-Encoding` allows it (q-values honoured); `Vary: Accept-Encoding` always.
* **Request ids**: every response carries `REQUEST_ID` and `X-Request-Id` (the
  client's own `X-Request-Id` when it sends a valid one).
* **HTTPS**: with `require_https` on, `/api/` and `/eureka/` requests that did not
  arrive over HTTPS (`X-Forwarded-Proto: https` counts) are redirected (301).
"""


def describe_common_behaviour(
    result: dict[str, Any],
    generator: SchemaGenerator,
    request: Request | None,
    public: bool,
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: what every route shares goes in ``info``."""
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + COMMON_BEHAVIOUR
    return result
