"""The dashboard's page and fragments in process: authentication like the API,
filters, sources, conditional requests, and the ``dashboard`` setting."""

from __future__ import annotations

import re

import orjson
import pytest
from django.test import Client

from dashboard.views import MAX_FILTER_CHARS
from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime, install_runtime
from registry.store.clock import ManualClock
from registry.store.memory import InMemoryCatalog
from registry.store.merged import MergedCatalog
from registry.store.records import Endpoint, InstanceRegistration
from tests.api.helpers import instance, register
from tests.eureka.helpers import eureka_instance
from tests.eureka.helpers import register as eureka_register
from tests.seam_app.plugin import SeamPlugin

FRAGMENTS = (
    "/dashboard/fragments/services",
    "/dashboard/fragments/instances?service=x",
    "/dashboard/fragments/health",
)


def test_off_answers_404_everywhere(make_runtime):
    make_runtime(dashboard=False)
    client = Client()
    for path in ("/dashboard/", *FRAGMENTS):
        response = client.get(path)
        assert response.status_code == 404, path
        assert orjson.loads(response.content) == {"Error": "Resource not found"}


def test_page_loads_nothing_from_outside(runtime):
    response = Client().get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "http" not in policy
    # No asset from anywhere: no src= or href= but the page's own data: icon.
    assert re.findall(r'(?:src|href)="([^"#]*)"', html) == ["data:,"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert html.count(f'nonce="{nonce.group(1)}"') == 3  # style, config, script
    assert Client().get("/dashboard/").content != response.content  # a new nonce
    assert Client().delete("/dashboard/").status_code == 405


def test_fragments_authenticate_like_the_api(make_runtime):
    make_runtime(auth_mode=("trusted",))
    client = Client()
    register(client, instance("alpha"), Authorization="Bearer team-a")
    register(client, instance("beta"), Authorization="Bearer team-b")
    missing = client.get("/dashboard/fragments/services")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="registry"'
    assert b"Missing request Authorization header" in missing.content
    bad = client.get(
        "/dashboard/fragments/services", headers={"Authorization": "Basic x"}
    )
    assert bad.status_code == 401
    team_a = client.get(
        "/dashboard/fragments/services", headers={"Authorization": "Bearer team-a"}
    )
    assert team_a.status_code == 200
    assert b'data-service-row="alpha"' in team_a.content
    assert b"beta" not in team_a.content
    assert "Authorization" in team_a["Vary"]
    # The node's health needs no token, as /uptime.
    health = client.get("/dashboard/fragments/health")
    assert health.status_code == 200
    assert b'data-component="STORE"' in health.content


def test_service_counts_and_filters(runtime):
    client = Client()
    register(client, instance("web", "h:1", tags=["v1"]))
    register(client, instance("web", "h:2", tags=["v2"], status="STARTING"))
    register(client, instance("db", "h:3", tags=["v1"], status="OUT_OF_SERVICE"))
    page = client.get("/dashboard/fragments/services").content.decode()
    assert _counts(page, "web") == {"total": 1 + 1, "UP": 1, "STARTING": 1}
    assert _counts(page, "db") == {"total": 1, "OUT_OF_SERVICE": 1}
    by_tag = client.get("/dashboard/fragments/services?tag=v2").content.decode()
    assert _counts(by_tag, "web") == {"total": 1, "STARTING": 1}
    assert 'data-service-row="db"' not in by_tag
    by_name = client.get("/dashboard/fragments/services?q=WE").content.decode()
    assert 'data-service-row="web"' in by_name
    assert 'data-service-row="db"' not in by_name
    one = client.get("/dashboard/fragments/instances?service=web&status=UP")
    assert one.content.decode().count("data-instance=") == 1
    too_long = client.get(
        "/dashboard/fragments/services?q=" + "x" * (MAX_FILTER_CHARS + 1)
    )
    assert too_long.status_code == 400
    assert b"q is longer than 256 characters" in too_long.content


def _counts(html: str, service: str) -> dict[str, int]:
    row = re.search(rf'<tr data-service-row="{service}">(.*?)</tr>', html, re.S)
    assert row is not None, html
    cells = re.findall(r'data-count="(\w+)"[^>]*>(\d+)<', row.group(1))
    return {name: int(count) for name, count in cells if int(count)}


def test_values_are_escaped(runtime):
    client = Client()
    register(
        client,
        instance(
            "<img src=x>", tags=["<b>"], metadata={"k": "<script>alert(1)</script>"}
        ),
    )
    services = client.get("/dashboard/fragments/services").content.decode()
    assert "<img" not in services
    assert "&lt;img src=x&gt;" in services
    rows = client.get("/dashboard/fragments/instances?service=<img src=x>").content
    assert b"<script>" not in rows
    assert b"<b>" not in rows


def test_instances_show_their_source(clock):
    class LabelledSource(InMemoryCatalog):
        source_label = "Kubernetes"

    class SourcePlugin(SeamPlugin):
        def wrap(self, namespace, catalog, runtime):
            source = LabelledSource(ManualClock())
            source.register(
                InstanceRegistration(
                    "k8s-1", "shop", Endpoint("tcp", "10.8.0.1:80"), "UP", 0
                )
            )
            return MergedCatalog(catalog, [source])

    runtime = RegistryRuntime(RegistryConfig(), clock, plugins=[SourcePlugin()])
    previous = install_runtime(runtime)
    try:
        client = Client()
        register(client, instance("shop", "10.8.0.2:80", ttl=30))
        eureka_register(client, eureka_instance("SHOP", "10.8.0.3"), app="SHOP")
        html = client.get(
            "/dashboard/fragments/instances?service=shop"
        ).content.decode()
        sources = dict(
            re.findall(r'data-instance="([^"]+)".*?data-source>([^<]*)<', html, re.S)
        )
        assert sources["k8s-1"] == "Kubernetes"
        assert "never (TTL 0 s)" in html
        own = [source for iid, source in sources.items() if iid != "k8s-1"]
        assert own == ["own"]
        eureka = client.get(
            "/dashboard/fragments/instances?service=SHOP"
        ).content.decode()
        assert "own (Eureka API)" in eureka
    finally:
        install_runtime(previous)


def test_unchanged_fragments_answer_304(runtime, clock):
    client = Client()
    created = orjson.loads(register(client, instance("web", ttl=30)).content)
    first = client.get("/dashboard/fragments/instances?service=web")
    etag = first["ETag"]
    again = client.get(
        "/dashboard/fragments/instances?service=web", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    clock.advance(1)
    client.put(f"/api/v1/instances/{created['id']}/heartbeat")
    moved = client.get(
        "/dashboard/fragments/instances?service=web", headers={"If-None-Match": etag}
    )
    assert moved.status_code == 200  # the last heartbeat changed
    health = client.get("/dashboard/fragments/health")
    clock.advance(5)  # uptime moved: the health fragment did not
    unchanged = client.get(
        "/dashboard/fragments/health", headers={"If-None-Match": health["ETag"]}
    )
    assert unchanged.status_code == 304


@pytest.mark.parametrize("path", FRAGMENTS)
def test_fragments_are_not_cached_by_the_browser(runtime, path):
    response = Client().get(path)
    assert response["Cache-Control"] == "private, no-cache"


def test_health_shows_every_plugins_components(clock):
    """A plug-in's components (replication's CLUSTER, a catalog source...) appear
    with their state and properties, without the dashboard knowing them."""
    runtime = RegistryRuntime(RegistryConfig(), clock, plugins=[SeamPlugin()])
    previous = install_runtime(runtime)
    try:
        html = Client().get("/dashboard/fragments/health").content.decode()
        seam = re.search(
            r'<li data-component="SEAM" class="(\w+)">(.*?)</li>', html, re.S
        )
        assert seam is not None, html
        assert seam.group(1) == "bad"  # its service has not started
        assert "unhealthy" in seam.group(2)
        assert "<dt>events</dt>" in seam.group(2)
        assert 'data-healthy="false"' in html
        runtime.start()
        html = Client().get("/dashboard/fragments/health").content.decode()
        assert '<li data-component="SEAM" class="ok">' in html
        assert 'data-healthy="true"' in html
    finally:
        runtime.stop()
        install_runtime(previous)


def test_a_filesystem_catalog_instance_shows_source_file(make_runtime, tmp_path):
    """The real catalogs app with a catalog file: its instance's source is
    ``file``, and the source's state shows in the health fragment."""
    entry = {
        "service_name": "shop",
        "endpoint": {"type": "tcp", "value": "10.9.0.1:80"},
    }
    (tmp_path / "default.conf").write_text(
        orjson.dumps({"instances": [entry]}).decode()
    )
    make_runtime(fs_catalog=str(tmp_path))
    client = Client()
    register(client, instance("shop", "10.9.0.2:80", ttl=30))
    html = client.get("/dashboard/fragments/instances?service=shop").content.decode()
    rows = re.findall(
        r"<tr data-instance=.*?</span> ([^<]*)</th>.*?data-source>([^<]*)<", html, re.S
    )
    assert sorted(rows) == [("10.9.0.1:80", "file"), ("10.9.0.2:80", "own")], html
    health = client.get("/dashboard/fragments/health").content.decode()
    component = re.search(
        r'<li data-component="CATALOG_FILESYSTEM" class="(\w+)">(.*?)</li>',
        health,
        re.S,
    )
    assert component is not None, health
    assert component.group(1) == "ok"
    properties = dict(
        re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", component.group(2))
    )
    assert properties["directory"] == str(tmp_path)
    assert properties["namespaces.default.synced"] == "True"
    assert properties["namespaces.default.instances"] == "1"
    assert properties["namespaces.default.errors"] == "0"
