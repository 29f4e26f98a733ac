"""Property-based fuzzing of both APIs from their OpenAPI description (defect 9).

schemathesis generates requests from ``/api/schema/`` (as drf-spectacular renders it)
and sends them to the in-process WSGI application, with a fresh in-memory runtime per
operation, in positive and negative modes. Every answer must be documented: no 5xx,
a documented status code, a documented content type, a body and headers that match
the response's schema; schema-valid requests are accepted (2xx, or 404/410 for ids
that do not exist) and schema-violating ones refused (4xx).
Bounded (``MAX_EXAMPLES`` per operation, derandomized) so it stays well under a
minute; ``schemathesis run --checks all`` against a server explores much further.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eureka_compat.formats import XML
from registry_project.wsgi import application
from tests.support.schema import served_schema

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
]


schema = schemathesis.openapi.from_dict(served_schema())
schema.config.update(base_url="http://testserver")
schema.config.generation.update(
    max_examples=MAX_EXAMPLES, deterministic=True, database="none"
)
# Schema-valid requests may still name an id that does not exist: 404, or 410 for
# the native heartbeat and deregistration (their documented "register again"); 403
# is a full namespace and 401 a refused token (neither happens with these defaults);
# 304 answers a generated `If-None-Match: *`.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "304", "401", "403", "404", "410"]
)


@pytest.mark.usefixtures("runtime")
@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_answers_match_the_schema(case: schemathesis.Case) -> None:
    _same_app_as_the_path(case)
    # The WSGI transport does not decompress: ask for identity bodies.
    response = case.call(app=application, headers={"Accept-Encoding": "identity"})
    case.validate_response(response, checks=_checks(case))


def _checks(case: schemathesis.Case) -> list[Any]:
    """XML text has no JSON types: a body whose string member was mutated into
    ``null`` or a number is sent as the text ``null`` or ``5``, which the server
    rightly reads as a valid string. Such XML bodies are not invalid, so the
    negative-data check does not apply to them (every other check does)."""
    if case.media_type == XML:
        return [check for check in CHECKS if check is not negative_data_rejection]
    return CHECKS


def _same_app_as_the_path(case: schemathesis.Case) -> None:
    """A registration's body names its application again, which must match the
    path's (`Mismatched appName`, documented): a rule across the path and the body
    that a schema cannot state, so the generated path follows the body."""
    body = case.body
    if case.method != "POST" or not isinstance(body, dict):
        return
    instance = body.get("instance", body)  # JSON wraps it; the XML root *is* it
    named = instance.get("app") if isinstance(instance, dict) else None
    if isinstance(instance, dict) and isinstance(named, str):
        # XML cannot carry control characters (the serializer drops them), and `/`,
        # `#` and `?` end a path segment: keep the body and the path the same by
        # dropping them from both.
        app = "".join(
            char for char in named if char.isprintable() and char not in "/#?"
        )
        instance["app"] = app
        if app.strip() and case.path_parameters:
            case.path_parameters["app"] = app.strip()
