"""``GET /`` and ``GET /uptime`` (spec §8.1): no auth, no HTTPS redirect."""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.support import assert_empty

pytestmark = pytest.mark.e2e

GO_DURATION = re.compile(r"(?:[0-9]+h)?(?:[0-9]+m)?[0-9]+(?:\.[0-9]+)?(?:s|ms|µs|ns)")


def go_duration_seconds(text: str) -> float:
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}
    return sum(
        float(number) * units[unit]
        for number, unit in re.findall(r"([0-9.]+)(h|ms|µs|ns|m|s)", text)
    )


def test_root_is_200_with_an_empty_body(default_server, http):
    response = http.get(default_server.url("/"))
    assert_empty(response)


def test_root_and_uptime_need_no_token_in_trusted_and_jwt_modes(
    trusted_server, jwt_server, http
):
    for server in (trusted_server, jwt_server):
        assert_empty(http.get(server.url("/")))
        assert http.get(server.url("/uptime")).status_code == 200


def test_uptime_reports_a_healthy_uptime_component(default_server, http):
    response = http.get(default_server.url("/uptime"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert next(iter(body)) == "UPTIME"
    assert body["UPTIME"]["healthy"] is True
    # Other components may follow (the store's, say); a 200 means all are healthy.
    for component in body.values():
        assert component["healthy"] is True
        assert set(component) <= {"healthy", "properties"}
    properties = body["UPTIME"]["properties"]
    assert {"uptime", "load_1m", "load_5m", "load_15m", "build_version"} <= set(
        properties
    )
    assert GO_DURATION.fullmatch(properties["uptime"]), properties["uptime"]
    assert 0 < go_duration_seconds(properties["uptime"]) < 3600
    assert properties["build_version"] == "0.1.0"
    for name in ("load_1m", "load_5m", "load_15m"):
        assert isinstance(properties[name], int | float)
        assert properties[name] >= 0


def test_uptime_reports_real_load_averages(default_server, http):
    """Decision Q15: the raw load averages, not values divided down to ~0."""
    properties = http.get(default_server.url("/uptime")).json()["UPTIME"]["properties"]
    # The 15-minute average moves slowly; same host, so it must be close.
    assert abs(properties["load_15m"] - os.getloadavg()[2]) < 0.5


def test_uptime_grows(default_server, http):
    first = http.get(default_server.url("/uptime")).json()
    second = http.get(default_server.url("/uptime")).json()
    assert go_duration_seconds(
        second["UPTIME"]["properties"]["uptime"]
    ) > go_duration_seconds(first["UPTIME"]["properties"]["uptime"])
