"""The operations of :mod:`registry.health`: the probes."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_view

from registry.api.openapi.operations import TAG_HEALTH, operation
from registry.api.openapi.responses import empty
from registry.api.openapi.shapes import UptimeReportSerializer
from registry.http.openapi import View


def root_docs(view: View) -> View:
    """Document :class:`registry.health.RootView`."""
    decorate = extend_schema_view(
        get=operation(
            operation_id="probe",
            summary="Liveness probe",
            description=(
                "Always 200 with an empty body while the process answers. No "
                "authentication and no HTTPS redirect."
            ),
            tag=TAG_HEALTH,
            auth=False,
            responses={200: empty("Alive. Empty body.")},
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
                            "pid": 7,
                            "uptime": "5m12.000123s",
                        },
                    },
                    "STORE": {"healthy": True, "properties": {"store": "inmem"}},
                },
            )
        ],
    )
    decorate = extend_schema_view(
        get=operation(
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
