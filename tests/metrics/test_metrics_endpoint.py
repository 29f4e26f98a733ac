"""``/metrics`` in process: what each figure counts after known traffic.

The runtime has a manual clock, so expiry (and how late it ran) is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import pytest
from django.test import Client
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from metrics.catalog import MeasuredCatalog
from metrics.instruments import instruments_of
from metrics.middleware import RequestMetricsMiddleware, route_template
from metrics.plugin import MetricsPlugin
from metrics.views import CONTENT_TYPE
from registry.plugins import HealthComponent, RegistryPlugin
from tests.api.helpers import instance, register
from tests.metrics.support import promtool_check, samples, value
from tests.support.schema import served_schema

HEARTBEAT_ROUTE = "/api/v1/instances/{instance_id}/heartbeat"


def scrape(client: Client, **headers: str) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == CONTENT_TYPE
    return response.content.decode()


def test_off_by_default_404_and_nothing_in_the_request_path(make_runtime):
    runtime = make_runtime()
    client = Client()
    response = client.get("/metrics")
    assert response.status_code == 404
    assert orjson.loads(response.content) == {"Error": "Resource not found"}
    # Django dropped the middleware from the chain; no catalog is wrapped.
    chain = client.handler._middleware_chain  # type: ignore[attr-defined]
    seen = []
    while chain is not None and hasattr(chain, "get_response"):
        seen.append(type(chain))
        chain = chain.get_response
    assert seen  # the other middleware is there
    assert RequestMetricsMiddleware not in seen
    assert not isinstance(runtime.catalogs.get("default"), MeasuredCatalog)


def test_figures_after_known_traffic(make_runtime, clock):
    runtime = make_runtime(metrics=True, auth_mode=("trusted",))
    client = Client()
    ids = []
    for port in range(3):
        response = register(
            client,
            instance("reviews", f"10.0.0.{port}:80", ttl=10),
            Authorization="Bearer a",
        )
        assert response.status_code == 201
        ids.append(orjson.loads(response.content)["id"])
    register(client, instance("ratings", status="STARTING"), Authorization="Bearer a")
    register(client, instance("other"), Authorization="Bearer b")
    for _ in range(2):
        assert (
            client.put(
                f"/api/v1/instances/{ids[0]}/heartbeat",
                headers={"Authorization": "Bearer a"},
            ).status_code
            == 200
        )
    assert (
        client.put(
            "/api/v1/instances/nope/heartbeat", headers={"Authorization": "Bearer a"}
        ).status_code
        == 410
    )
    assert (
        client.delete(
            f"/api/v1/instances/{ids[1]}", headers={"Authorization": "Bearer a"}
        ).status_code
        == 200
    )
    # ids[2] expires: swept 2.5 s after its deadline.
    clock.advance(5)
    client.put(
        f"/api/v1/instances/{ids[0]}/heartbeat", headers={"Authorization": "Bearer a"}
    )
    clock.advance(7.5)
    assert runtime.expire() == 1

    text = scrape(client)
    assert value(text, "registry_registrations_total", namespace="a") == 4
    assert value(text, "registry_registrations_total", namespace="b") == 1
    assert value(text, "registry_renewals_total", namespace="a") == 3
    assert value(text, "registry_deregistrations_total", namespace="a") == 1
    assert value(text, "registry_expiries_total", namespace="a") == 1
    assert value(text, "registry_expiry_lateness_seconds_count") == 1
    assert value(text, "registry_expiry_lateness_seconds_sum") == pytest.approx(2.5)
    assert value(text, "registry_expiry_lateness_seconds_bucket", le="2.0") == 0
    assert value(text, "registry_expiry_lateness_seconds_bucket", le="5.0") == 1
    # Read from the store at scrape time.
    assert value(text, "registry_instances", namespace="a", status="UP") == 1
    assert value(text, "registry_instances", namespace="a", status="STARTING") == 1
    assert value(text, "registry_instances", namespace="b", status="UP") == 1
    assert value(text, "registry_services", namespace="a") == 2
    assert value(text, "registry_services", namespace="b") == 1
    # Requests by route template, method, status class.
    ok_heartbeats = value(
        text,
        "registry_http_request_duration_seconds_count",
        route=HEARTBEAT_ROUTE,
        method="PUT",
        status="2xx",
    )
    assert ok_heartbeats == 3
    gone = value(
        text,
        "registry_http_request_duration_seconds_count",
        route=HEARTBEAT_ROUTE,
        method="PUT",
        status="4xx",
    )
    assert gone == 1
    # Store calls: every renewal reached the store, the unknown one too.
    assert (
        value(
            text, "registry_store_operation_duration_seconds_count", operation="renew"
        )
        == 4
    )
    assert value(text, "registry_store_errors_total", operation="renew") == 0
    assert value(text, "registry_component_healthy", component="STORE") == 1
    assert value(text, "registry_build_info", version="0.1.0") == 1
    promtool_check(text)


def test_labels_are_templates_never_raw_paths_or_ids(make_runtime):
    make_runtime(metrics=True)
    client = Client()
    created = orjson.loads(register(client, instance("svc")).content)
    client.put(f"/api/v1/instances/{created['id']}/heartbeat")
    client.get("/api/eureka/default/v2/apps/SVC")
    client.get("/no/such/path/12345")
    client.generic("BREW", "/api/v1/services")
    text = scrape(client)
    assert created["id"] not in text
    assert "12345" not in text
    routes = {
        dict(labels)["route"]
        for name, labels in samples(text)
        if name == "registry_http_request_duration_seconds_count"
    }
    assert {
        "/api/v1/instances",
        HEARTBEAT_ROUTE,
        "/api/eureka/{token}/v2/apps/{app}",
        "unmatched",
    } <= routes
    methods = {
        dict(labels)["method"]
        for name, labels in samples(text)
        if name == "registry_http_request_duration_seconds_count"
    }
    assert "other" in methods
    assert "BREW" not in methods


@pytest.mark.parametrize(
    ("route", "template"),
    [
        (None, "unmatched"),
        ("uptime", "/uptime"),
        ("api/v1/^instances/(?P<instance_id>[^/]+)/heartbeat$", HEARTBEAT_ROUTE),
        ("api/eureka/<str:token>/v2/^apps/?$", "/api/eureka/{token}/v2/apps/"),
    ],
)
def test_route_template(route, template):
    assert route_template(route) == template


def test_token_protects_metrics(make_runtime):
    make_runtime(metrics=True, metrics_token="s3cret")
    client = Client()
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic s3cret"},
    ):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"registry_" not in response.content
    assert "registry_build_info" in scrape(client, Authorization="Bearer s3cret")
    # The API's namespaces are not the metrics token's business, nor the reverse.
    assert client.get("/api/v1/services").status_code == 200


def test_metrics_only_answers_get(make_runtime):
    make_runtime(metrics=True)
    response = Client().delete("/metrics")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


class _SourcesPlugin(RegistryPlugin):
    """Any app's plug-in: health components and figures of its own."""

    def health(self, runtime: Any) -> Mapping[str, HealthComponent]:
        return {"CATALOG_FILE": (True, {}), "REPLICATION": (False, {"message": "x"})}

    def metrics(self, runtime: Any) -> Iterable[Metric]:
        lag = GaugeMetricFamily(
            "registry_replication_lag_seconds", "Lag by peer.", labels=["peer"]
        )
        lag.add_metric(["10.0.0.9:6100"], 0.25)
        yield lag


def test_plugins_health_and_figures_appear(make_runtime, clock):
    from registry.config import RegistryConfig
    from registry.runtime import RegistryRuntime, install_runtime

    runtime = RegistryRuntime(
        RegistryConfig(metrics=True), clock, plugins=[MetricsPlugin(), _SourcesPlugin()]
    )
    install_runtime(runtime)  # make_runtime restores the previous one
    text = scrape(Client())
    assert value(text, "registry_component_healthy", component="CATALOG_FILE") == 1
    assert value(text, "registry_component_healthy", component="REPLICATION") == 0
    assert value(text, "registry_replication_lag_seconds", peer="10.0.0.9:6100") == 0.25
    promtool_check(text)


def test_store_figures_are_recounted_only_when_the_namespace_changed(
    make_runtime, clock
):
    runtime = make_runtime(metrics=True)
    client = Client()

    def listings() -> float:
        """How many times the store has counted the namespace so far."""
        count = instruments_of(runtime).registry.get_sample_value(
            "registry_store_operation_duration_seconds_count",
            {"operation": "count_by_status"},
        )
        assert count is not None
        return count

    created = orjson.loads(register(client, instance("web", "h:1", ttl=10)).content)
    first = scrape(client)
    listed = listings()
    assert value(first, "registry_instances", namespace="default", status="UP") == 1
    # Heartbeats change no count: the next scrape reads one revision, no count.
    client.put(f"/api/v1/instances/{created['id']}/heartbeat")
    second = scrape(client)
    assert listings() == listed
    assert value(second, "registry_instances", namespace="default", status="UP") == 1
    # A registration, a status change and an expiry each show at the next scrape.
    register(client, instance("db", "h:2", status="STARTING", ttl=10))
    third = scrape(client)
    assert listings() == listed + 1
    assert (
        value(third, "registry_instances", namespace="default", status="STARTING") == 1
    )
    assert value(third, "registry_services", namespace="default") == 2
    register(client, instance("db", "h:2", status="UP", ttl=10))
    assert (
        value(scrape(client), "registry_instances", namespace="default", status="UP")
        == 2
    )
    clock.advance(11)
    assert runtime.expire() == 2
    last = scrape(client)
    assert value(last, "registry_instances", namespace="default", status="UP") is None
    assert value(last, "registry_services", namespace="default") == 0


def test_operator_surfaces_stay_out_of_the_api_schema():
    """/metrics (for Prometheus) and /dashboard/ (for people) are not API routes:
    the OpenAPI document, and the fuzzing driven by it, leave them out."""
    paths = set(served_schema()["paths"])
    assert paths
    assert not {path for path in paths if path.startswith(("/metrics", "/dashboard"))}


def test_filtered_listings_are_timed_as_store_listings(make_runtime):
    runtime = make_runtime(metrics=True)
    client = Client()
    register(client, instance("web", "h:1", ttl=10))

    def listings() -> float:
        count = instruments_of(runtime).registry.get_sample_value(
            "registry_store_operation_duration_seconds_count",
            {"operation": "list_instances"},
        )
        return count or 0.0

    before = listings()
    for query in ("", "?tags=none", "?service_name=web"):
        response = client.get(f"/api/v1/instances{query}")
        assert response.status_code == 200
    assert listings() == before + 3
