"""A hung source (accepts connections, never answers) delays nothing.

The registry's Kubernetes API and Eureka server are a :class:`HungServer`; requests
to every namespace, ``default`` (which mirrors the hung Eureka) included, and
``/uptime`` answer at once, and the filesystem source still works.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.catalogs.fakes import HungServer
from tests.e2e.support import RegistryServer, bearer, client_session

pytestmark = pytest.mark.e2e

FAST = 0.5  # seconds; a hung source would hold a request for its 10 s timeout


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    tmp = tmp_path_factory.mktemp("isolation")
    catalog = tmp / "catalog"
    catalog.mkdir()
    entry = {"service_name": "legacy", "endpoint": {"type": "tcp", "value": "h:1"}}
    (catalog / "team-0.conf").write_text(json.dumps({"instances": [entry]}))
    hung = HungServer().start()
    flags = [
        "--auth_mode", "trusted",
        "--k8s_url", hung.url, "--eureka_url", hung.url + "/eureka/v2",
        "--fs_catalog", str(catalog),
    ]  # fmt: skip
    server = RegistryServer(tmp / "registry.log", flags)
    try:
        yield server.start()
        server.stop()
    finally:
        server.cleanup()
        hung.stop()


def timed_get(http, url, headers=None):
    started = time.monotonic()
    response = http.get(url, headers=headers or {}, timeout=5)
    return response, time.monotonic() - started


def test_requests_of_every_namespace_stay_fast(registry):
    with client_session() as http:
        for namespace in ["default", *(f"team-{i}" for i in range(5))]:
            for path in ("/api/v1/services", "/eureka/v2/apps"):
                headers = {**bearer(namespace), "Accept": "application/json"}
                response, took = timed_get(http, registry.url(path), headers)
                assert response.status_code == 200, (namespace, path)
                assert took < FAST, (namespace, path, took)
        response, _ = timed_get(
            http, registry.url("/api/v1/services"), bearer("team-0")
        )
        assert response.json()["services"] == ["legacy"]  # the file source still works


def test_uptime_answers_at_once_and_shows_the_hung_sources(registry):
    with client_session() as http:
        http.get(registry.url("/api/v1/services"), headers=bearer("team-1"))
        response, took = timed_get(http, registry.url("/uptime"))
        assert took < FAST
        assert response.status_code == 200  # sources never make /uptime fail
        report = response.json()
        assert report["CATALOG_EUREKA"]["properties"]["synced"] is False
        k8s = report["CATALOG_KUBERNETES"]["properties"]["namespaces"]
        assert k8s["team-1"]["synced"] is False
        files = report["CATALOG_FILESYSTEM"]["properties"]["namespaces"]
        assert files["team-0"]["synced"] is True
