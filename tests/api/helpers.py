"""Small helpers for API tests."""

from __future__ import annotations

from typing import Any

import orjson
from django.test import Client


def register(client: Client, body: Any = None, **headers: str) -> Any:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(
        "/api/v1/instances", payload, content_type="application/json", headers=headers
    )


def instance(
    service: str = "reviews", value: str = "10.0.0.5:9080", **members: Any
) -> dict[str, Any]:
    return {
        "service_name": service,
        "endpoint": {"type": "http", "value": value},
        **members,
    }


def error(response: Any) -> str:
    body = orjson.loads(response.content)
    assert list(body) == ["Error"]
    return str(body["Error"])
