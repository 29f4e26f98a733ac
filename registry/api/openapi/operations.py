"""``extend_schema`` for one native operation, with what every route shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from registry.api.openapi.parameters import (
    IF_NONE_MATCH,
    REQUEST_ID_REQUEST,
    response_headers,
)
from registry.api.openapi.responses import NOT_MODIFIED, common_errors

TAG_SERVICES = "services"
TAG_INSTANCES = "instances"
TAG_HEALTH = "health"


def operation(
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
    all_responses = common_errors(api=auth, body=body_note)
    all_responses.update(responses)
    if is_get:
        all_responses[304] = NOT_MODIFIED
    headers = response_headers(
        api=auth, etag=is_get, created=201 in all_responses, body=body_codes
    )
    request_headers = [REQUEST_ID_REQUEST] + ([IF_NONE_MATCH] if is_get else [])
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
