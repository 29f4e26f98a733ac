"""Health endpoints (spec §8.1): ``GET /`` for load balancers, ``GET /uptime``."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.views import APIView

from registry.api.openapi import root_docs, uptime_docs
from registry.config import VERSION
from registry.http.errors import JsonResponse
from registry.runtime import get_runtime

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass

UNKNOWN_BUILD_DATE = "0001-01-01T00:00:00Z"


class HealthView(APIView):
    """Base of the health views: no authentication, no HTTPS redirect, GET only."""

    authentication_classes: Sequence[type[BaseAuthentication]] = ()
    permission_classes: Sequence[_PermissionClass] = ()
    http_method_names = ["get"]

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # ``Allow`` belongs on 405s only, as in the native API


@root_docs
class RootView(HealthView):
    """Always healthy while the process answers; empty body."""

    def get(self, request: Request) -> JsonResponse:
        return JsonResponse()


@uptime_docs
class UptimeView(HealthView):
    """One entry per component; 503 when any is unhealthy."""

    def get(self, request: Request) -> JsonResponse:
        runtime = get_runtime()
        store_healthy, store_properties = runtime.store.health()
        report: dict[str, dict[str, Any]] = {
            "UPTIME": {"healthy": True, "properties": uptime_properties()},
            "STORE": {"healthy": store_healthy, "properties": store_properties},
        }
        for plugin in runtime.plugins:
            for name, (healthy, properties) in plugin.health(runtime).items():
                report[name] = {"healthy": healthy, "properties": dict(properties)}
        healthy = all(component["healthy"] for component in report.values())
        return JsonResponse(orjson.dumps(report), status=200 if healthy else 503)


def uptime_properties() -> dict[str, Any]:
    runtime = get_runtime()
    load_1m, load_5m, load_15m = os.getloadavg()
    return {
        "build_date": os.environ.get("A8_BUILD_DATE", UNKNOWN_BUILD_DATE),
        "build_pythonversion": platform.python_version(),
        "build_revision": os.environ.get("A8_BUILD_REVISION", "unknown"),
        "build_version": VERSION,
        "load_15m": load_15m,
        "load_1m": load_1m,
        "load_5m": load_5m,
        # Which worker process answered (several share the port on Redis).
        "pid": os.getpid(),
        "uptime": go_duration(runtime.clock.now_ns() - runtime.started_ns),
    }


def go_duration(nanoseconds: int) -> str:
    """Go's ``time.Duration.String()``: ``1h2m3.456789s``, ``250ms``, ``0s``."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    ns = abs(nanoseconds)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_trim(ns, 1_000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_trim(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{hours}h" if hours else ""
    if hours or minutes:
        text += f"{minutes}m"
    return f"{sign}{text}{_trim(rest, 1_000_000_000)}s"


def _trim(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    if not fraction:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{fraction:0{digits}d}".rstrip("0")
