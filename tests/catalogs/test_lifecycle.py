"""Catalog sources start and stop with the runtime under both servers."""

from __future__ import annotations

import json

import pytest

from tests.catalogs.fakes import FakeKubernetes, endpoints, wait_for
from tests.e2e.support import RegistryServer, client_session

pytestmark = pytest.mark.e2e

PORTS = [{"name": "http", "port": 80, "protocol": "TCP"}]


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_sources_start_and_stop_with_the_server(tmp_path, server):
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    entry = {"service_name": "legacy", "endpoint": {"type": "tcp", "value": "h:1"}}
    (catalog / "default.json").write_text(json.dumps({"instances": [entry]}))
    fake = FakeKubernetes().start()
    fake.put("endpoints", "default", endpoints("web", [("10.0.0.1", None)], PORTS))
    flags = ["--server", server, "--k8s_url", fake.url, "--fs_catalog", str(catalog)]
    registry = RegistryServer(tmp_path / "registry.log", flags)
    try:
        registry.start()
        with client_session() as http:
            url = registry.url("/api/v1/services")
            wait_for(lambda: http.get(url).json()["services"] == ["legacy", "web"])
        log = registry.stop()
    finally:
        registry.cleanup()
        fake.stop()
    [started] = [line for line in log.splitlines() if "services started" in line]
    [stopped] = [line for line in log.splitlines() if "services stopped" in line]
    for line in (started, stopped):
        assert "catalog-kubernetes, catalog-filesystem" in line, line
    assert fake.watches("endpoints")
