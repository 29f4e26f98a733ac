"""The OpenAPI document as the server serves it, for the tests that check it."""

from __future__ import annotations

from typing import Any

import orjson
from django.test import Client

from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime, install_runtime


def served_schema() -> dict[str, Any]:
    """``GET /api/schema/?format=json`` from a default runtime (put back after)."""
    previous = install_runtime(RegistryRuntime(RegistryConfig()))
    try:
        response = Client().get("/api/schema/?format=json")
    finally:
        install_runtime(previous)
    assert response.status_code == 200
    document: dict[str, Any] = orjson.loads(response.content)
    return document
