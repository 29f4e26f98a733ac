"""The plug-in apps' figures in ``/metrics`` of real registries: a filesystem
catalog's source state, and a two-node replicated cluster's peers and events."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.support import RegistryServer, bearer, client_session
from tests.metrics.support import promtool_check, value
from tests.replication.cluster_support import Cluster, instances, register, wait_for

pytestmark = pytest.mark.e2e

FILE = {
    "instances": [
        {
            "service_name": "legacy-db",
            "endpoint": {"type": "tcp", "value": "10.1.1.1:5432"},
        },
        {
            "service_name": "payments",
            "endpoint": {"type": "https", "value": "https://pay.example.com"},
            "status": "STARTING",
        },
    ]
}
TEAM = "team-a"


def scrape(http: requests.Session, node: RegistryServer) -> str:
    response = http.get(node.url("/metrics"))
    assert response.status_code == 200, response.text
    return response.text


def source_value(text: str, name: str) -> float | None:
    return value(text, name, source="filesystem", namespace=TEAM)


@pytest.fixture
def file_registry(tmp_path: Path) -> Iterator[tuple[RegistryServer, Path]]:
    catalog_dir = tmp_path / "catalog"
    catalog_dir.mkdir()
    (catalog_dir / f"{TEAM}.conf").write_text(json.dumps(FILE))
    flags = ["--metrics", "--auth_mode", "trusted", "--fs_catalog", str(catalog_dir)]
    server = RegistryServer(tmp_path / "registry.log", flags)
    try:
        yield server.start(), catalog_dir
    finally:
        server.terminate()
        server.cleanup()


def test_a_filesystem_catalog_reports_its_state(file_registry):
    registry, catalog_dir = file_registry
    with client_session() as http:
        before = time.time()
        # The namespace's first request makes its catalog, and reads its file.
        body = {"service_name": "own", "endpoint": {"type": "tcp", "value": "h:1"}}
        created = http.post(
            registry.url("/api/v1/instances"), json=body, headers=bearer(TEAM)
        )
        assert created.status_code == 201, created.text
        text = scrape(http, registry)
        assert source_value(text, "registry_catalog_source_synced") == 1
        assert source_value(text, "registry_catalog_source_instances") == 2
        assert source_value(text, "registry_catalog_source_syncs_total") == 1
        assert source_value(text, "registry_catalog_source_errors_total") == 0
        success = source_value(
            text, "registry_catalog_source_last_success_timestamp_seconds"
        )
        assert success is not None
        assert before - 1 <= success <= time.time()
        assert (
            source_value(text, "registry_catalog_source_last_error_timestamp_seconds")
            == 0
        )
        # The store figures count the file's instances with the namespace's own.
        assert value(text, "registry_instances", namespace=TEAM, status="UP") == 2
        assert value(text, "registry_instances", namespace=TEAM, status="STARTING") == 1
        assert value(text, "registry_services", namespace=TEAM) == 3
        promtool_check(text)

        # A file that no longer parses: an error, not synced, the last good kept.
        (catalog_dir / f"{TEAM}.conf").write_text('{"instances": [')
        text = wait_for(
            lambda: (
                (t := scrape(http, registry))
                and source_value(t, "registry_catalog_source_errors_total") == 1
                and t
            )
        )
        assert source_value(text, "registry_catalog_source_synced") == 0
        assert source_value(text, "registry_catalog_source_instances") == 2
        failed = source_value(
            text, "registry_catalog_source_last_error_timestamp_seconds"
        )
        assert failed is not None
        assert failed >= success
        assert value(text, "registry_instances", namespace=TEAM, status="UP") == 2
        promtool_check(text)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    try:
        made.start(metrics="true", cluster_size="2")
        made.start(metrics="true", cluster_size="2", sync_timeout="20s")
        yield made
    finally:
        made.stop_all()


def member(node: RegistryServer) -> str:
    return f"127.0.0.1:{node.replication_port}"  # type: ignore[attr-defined]


def test_a_cluster_reports_its_peers_and_events(cluster):
    first, second = cluster.nodes
    with client_session() as http:
        http.headers.update(bearer("default"))

        def connected(node: RegistryServer) -> bool:
            text = scrape(http, node)
            return (
                value(text, "registry_replication_peers_connected") == 1
                and value(text, "registry_replication_cluster_size") == 2
            )

        wait_for(connected, first)
        wait_for(connected, second)
        service = "metered"
        for port in range(3):
            register(http, first, service, value=f"10.0.0.{port}:80")
        wait_for(lambda: len(instances(http, second, service)) == 3)

        sent = wait_for(
            lambda: (
                (t := scrape(http, first))
                and value(t, "registry_replication_lag_events", peer=member(second))
                == 0
                and t
            )
        )
        received = scrape(http, second)

    for text, peer in ((sent, second), (received, first)):
        assert value(text, "registry_replication_cluster_size") == 2
        assert value(text, "registry_replication_cluster_threshold") == 2
        assert value(text, "registry_replication_peers") == 1
        assert value(text, "registry_replication_peers_connected") == 1
        assert value(text, "registry_replication_peer_up", peer=member(peer)) == 1
        assert value(text, "registry_component_healthy", component="REPLICATION") == 1
        assert value(text, "registry_instances", namespace="default", status="UP") == 3
        promtool_check(text)
    # The writes were taken by the first node and published once each ...
    assert value(sent, "registry_replication_events_published_total") == 3
    assert value(received, "registry_replication_events_published_total") == 0
    # ... and applied by the second, which counts them as registrations too.
    applied = "registry_replication_peer_events_applied_total"
    assert value(received, applied, peer=member(first)) == 3
    assert value(sent, applied, peer=member(second)) == 0
    assert value(received, "registry_registrations_total", namespace="default") == 3
    for counter in ("dropped", "rejected"):
        name = f"registry_replication_events_{counter}_total"
        assert value(sent, name) == value(received, name) == 0
