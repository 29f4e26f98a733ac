"""GET / and GET /uptime (spec §8.1)."""

from __future__ import annotations

import os

import orjson
import pytest

from registry.health import go_duration


def test_root_is_an_empty_200(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.content == b""


def test_uptime_reports_the_process(client, clock):
    clock.advance(3723.5)
    response = client.get("/uptime")
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert list(body) == ["UPTIME", "STORE"]
    assert body["STORE"] == {"healthy": True, "properties": {"store": "inmem"}}
    assert body["UPTIME"]["healthy"] is True
    properties = body["UPTIME"]["properties"]
    assert properties["uptime"] == "1h2m3.5s"
    assert properties["build_version"] == "0.1.0"
    assert properties["pid"] == os.getpid()
    for load in ("load_1m", "load_5m", "load_15m"):
        assert isinstance(properties[load], float)
        assert properties[load] >= 0


def test_health_needs_no_token_in_any_mode(make_runtime, client):
    make_runtime(auth_mode=("trusted",))
    assert client.get("/", headers={"Authorization": "Bearer x"}).status_code == 200
    assert (
        client.get("/uptime", headers={"Authorization": "garbage"}).status_code == 200
    )


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (999, "999ns"),
        (1_500, "1.5µs"),
        (250_000_000, "250ms"),
        (1_000_000_000, "1s"),
        (61_000_000_000, "1m1s"),
        (3_600_000_000_000, "1h0m0s"),
        (3_723_456_789_000, "1h2m3.456789s"),
    ],
)
def test_go_duration_text(nanoseconds, text):
    assert go_duration(nanoseconds) == text


def test_uptime_is_503_when_the_store_is_unhealthy(make_runtime, client, monkeypatch):
    runtime = make_runtime()
    monkeypatch.setattr(
        runtime.store, "health", lambda: (False, {"store": "redis", "message": "down"})
    )
    response = client.get("/uptime")
    assert response.status_code == 503
    body = orjson.loads(response.content)
    assert body["STORE"] == {
        "healthy": False,
        "properties": {"store": "redis", "message": "down"},
    }
    assert body["UPTIME"]["healthy"] is True
