"""``/metrics`` of a real registry with two worker processes on Redis, under each
supported server: every scrape, whichever worker answers it, sums the work of
both (prometheus-client's multiprocess mode), and store errors are counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.support import free_port, run_registry_command, unique, wait_until
from tests.metrics.support import promtool_check, samples, value
from tests.redis.support import Stack, store_flags

pytestmark = pytest.mark.e2e

INSTANCES = 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    processes = Stack(tmp_path_factory.mktemp("metrics-e2e"))
    try:
        yield processes
    finally:
        failures = processes.close()
    assert not failures, failures


def fresh(method: str, url: str, **kwargs) -> requests.Response:
    """A request on a new connection, so either worker may take it."""
    headers = {"Connection": "close", **kwargs.pop("headers", {})}
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_two_workers_sum_their_figures(stack, tmp_path: Path, server):
    redis_server = stack.redis()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's
    registry = stack.registry(
        *store_flags(redis_server),
        "--workers",
        "2",
        "--server",
        server,
        "--metrics",
        "--metrics_dir",
        str(metrics_dir),
    )
    assert not (metrics_dir / "counter_999999.db").exists()
    # Both workers ready and each with a request of its own (a worker still
    # booting takes no connection; gunicorn may give one worker several in a row).
    answered: set[int] = set()

    def both_answered() -> bool:
        uptime = fresh("GET", registry.url("/uptime")).json()
        answered.add(uptime["UPTIME"]["properties"]["pid"])
        return len(answered) == 2

    assert wait_until(both_answered, 20), answered
    service = unique()
    ids = []
    for port in range(INSTANCES):
        body = {
            "service_name": service,
            "endpoint": {"type": "http", "value": f"h:{port}"},
        }
        response = fresh("POST", registry.url("/api/v1/instances"), json=body)
        assert response.status_code == 201
        ids.append(response.json()["id"])
    for instance_id in ids:
        for _ in range(2):
            response = fresh(
                "PUT", registry.url(f"/api/v1/instances/{instance_id}/heartbeat")
            )
            assert response.status_code == 200
    assert (
        fresh("DELETE", registry.url(f"/api/v1/instances/{ids[0]}")).status_code == 200
    )

    # Both workers wrote figures of their own...
    pids = {
        match.group(1)
        for path in metrics_dir.glob("*.db")
        if (match := re.fullmatch(r"\w+_(\d+)\.db", path.name))
    }
    assert len(pids) == 2, sorted(metrics_dir.iterdir())
    # ...and every scrape, whichever worker answers, adds them up.
    for _ in range(4):
        text = fresh("GET", registry.url("/metrics")).text
        assert (
            value(text, "registry_registrations_total", namespace="default")
            == INSTANCES
        )
        assert (
            value(text, "registry_renewals_total", namespace="default") == 2 * INSTANCES
        )
        assert value(text, "registry_deregistrations_total", namespace="default") == 1
        heartbeats = value(
            text,
            "registry_http_request_duration_seconds_count",
            route="/api/v1/instances/{instance_id}/heartbeat",
            method="PUT",
            status="2xx",
        )
        assert heartbeats == 2 * INSTANCES
        assert (
            value(text, "registry_instances", namespace="default", status="UP")
            == INSTANCES - 1
        )
        assert value(text, "registry_services", namespace="default") == 1
        assert value(text, "registry_component_healthy", component="STORE") == 1
    promtool_check(text)

    # The store goes away: requests fail with 503, and the failures are counted.
    redis_server.stop()
    response = fresh("PUT", registry.url(f"/api/v1/instances/{ids[1]}/heartbeat"))
    assert response.status_code == 503
    text = fresh("GET", registry.url("/metrics")).text
    assert value(text, "registry_component_healthy", component="STORE") == 0
    errors = sum(
        count
        for (name, _labels), count in samples(text).items()
        if name == "registry_store_errors_total"
    )
    assert errors >= 1
    assert value(text, "registry_store_errors_total", operation="renew") == 1
    promtool_check(text)


def test_unusable_metrics_dir_stops_start_up(tmp_path: Path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    flags = ["--store", "redis", "--store_address", f"127.0.0.1:{free_port()}"]
    flags += ["--metrics", "--workers", "2", "--metrics_dir", str(not_a_dir / "sub")]
    result = run_registry_command(flags)
    assert result.returncode == 2
    assert result.stderr.startswith("a8registry: invalid value")
    assert "metrics_dir (A8_METRICS_DIR / --metrics_dir)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_in_memory_server_with_a_token(stack):
    """The default process model (one worker, values in the process), the token,
    and expiry through the real sweep."""
    registry = stack.registry(
        "--metrics", "--metrics_token", "scrape-me", "--min_ttl", "1s"
    )
    assert fresh("GET", registry.url("/metrics")).status_code == 401
    body = {"service_name": unique(), "endpoint": {"type": "tcp", "value": "h:1"}}
    assert (
        fresh(
            "POST", registry.url("/api/v1/instances"), json={**body, "ttl": 1}
        ).status_code
        == 201
    )
    token = {"Authorization": "Bearer scrape-me"}

    def expired() -> bool:
        text = fresh("GET", registry.url("/metrics"), headers=token).text
        return value(text, "registry_expiries_total", namespace="default") == 1

    assert wait_until(expired, timeout=5)
    text = fresh("GET", registry.url("/metrics"), headers=token).text
    assert value(text, "registry_registrations_total", namespace="default") == 1
    # Removed within a sweep (200 ms) of its deadline, give or take a busy machine.
    assert value(text, "registry_expiry_lateness_seconds_count") == 1
    assert value(text, "registry_expiry_lateness_seconds_bucket", le="1.0") == 1
    assert value(text, "registry_instances", namespace="default", status="UP") is None
    promtool_check(text)
