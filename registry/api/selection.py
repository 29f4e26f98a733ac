"""``GET /api/v1/instances`` query: selection and projection (spec §5.4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from registry.api.rendering import INSTANCE_FIELDS
from registry.http.fields import FieldSpec
from registry.store.records import (
    STATUS_OUT_OF_SERVICE,
    STATUS_STARTING,
    STATUS_UP,
    ServiceInstance,
)

BAD_FIELDS = "Undefined or malformed instance fields in filter"
BAD_CRITERIA = "Malformed or invalid instance selection criteria"
STATUS_ALL = "ALL"

# --- the query, as this parser reads it (and the OpenAPI description says) --------

FIELDS = FieldSpec(
    "fields",
    "array",
    "Projection: comma-separated member names, no spaces. Absent → full objects; "
    "empty (`fields=`) → only `id` and `endpoint`, which are always included. "
    f"`links` is accepted and has no effect. Any other name → 400 `{BAD_FIELDS}`.",
    choices=tuple(INSTANCE_FIELDS),
)
SERVICE_NAME = FieldSpec(
    "service_name", "string", "Exact, case-sensitive service name."
)
ID = FieldSpec("id", "string", "Exact instance id.")
STATUS = FieldSpec(
    "status",
    "string",
    f"`UP`, `STARTING`, `OUT_OF_SERVICE` and `{STATUS_ALL}` are matched "
    f"case-insensitively; any other value is matched exactly (e.g. `DOWN`). "
    f"`{STATUS_ALL}`: any status. See the default filter above.",
)
TAGS = FieldSpec(
    "tags",
    "array",
    "Comma-separated tags; an instance must carry **all** of them "
    "(case-sensitive, not trimmed). `tags=` asks for the empty-string tag.",
)
#: The query parameters of ``GET /api/v1/instances``; any other name is a 400.
SELECTION_FIELDS = (FIELDS, SERVICE_NAME, ID, STATUS, TAGS)
FILTERABLE = frozenset(spec.name for spec in SELECTION_FIELDS if spec is not FIELDS)
_NORMALISED_STATUSES = frozenset({STATUS_UP, STATUS_STARTING, STATUS_OUT_OF_SERVICE})
_HIDDEN_BY_DEFAULT = frozenset({STATUS_STARTING, STATUS_OUT_OF_SERVICE})

Predicate = Callable[[ServiceInstance], bool]


class SelectionError(ValueError):
    """A query the listing cannot answer; ``str(err)`` is the client-facing text."""


@dataclass(frozen=True)
class Selection:
    """A parsed listing query."""

    #: Projected field names, or ``None`` for full objects.
    fields: frozenset[str] | None
    #: The one service the query is confined to, if any (answers from its index).
    service_name: str | None
    predicate: Predicate | None
    #: What the predicate was made from (equal criteria, equal predicates): lets
    #: a read-only source keep its filtered answers (``select_instances``).
    criteria: tuple[tuple[str, str], ...] = ()


def parse_selection(query_string: str) -> Selection:
    """Parse a raw query string. Raises :class:`SelectionError`.

    Names are case-sensitive and only the first value of a repeated name counts.
    """
    params: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        params.setdefault(name, value)
    fields = _fields(params.pop(FIELDS.name, None))
    if not params.keys() <= FILTERABLE:
        raise SelectionError(BAD_CRITERIA)
    return Selection(
        fields,
        params.get(SERVICE_NAME.name),
        _predicate(params),
        tuple(sorted(params.items())),
    )


def _fields(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    if value == "":
        return frozenset()
    names = frozenset(value.split(","))
    if not names <= frozenset(FIELDS.choices or ()):
        raise SelectionError(BAD_FIELDS)
    return names


def _predicate(params: dict[str, str]) -> Predicate | None:
    checks: list[Predicate] = []
    if SERVICE_NAME.name in params:
        service_name = params[SERVICE_NAME.name]
        checks.append(lambda i: i.service_name == service_name)
    if ID.name in params:
        wanted_id = params[ID.name]
        checks.append(lambda i: i.id == wanted_id)
    if TAGS.name in params:
        wanted_tags = frozenset(params[TAGS.name].split(","))
        checks.append(lambda i: wanted_tags.issubset(i.tags))
    status = _status(params.get(STATUS.name))
    if status is None and not checks:
        # Quirk Q11, kept: the default hides these only when nothing else filters.
        checks.append(lambda i: i.status not in _HIDDEN_BY_DEFAULT)
    elif status is not None and status != STATUS_ALL:
        checks.append(lambda i: i.status == status)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda i: all(check(i) for check in checks)


def _status(value: str | None) -> str | None:
    if value is None:
        return None
    upper = value.upper()
    return upper if upper in _NORMALISED_STATUSES or upper == STATUS_ALL else value
