"""The store seam, proven by a test app (tests/seam_app) that plugs in as the
replication and catalog apps will: its wrapper is built into every namespace's
catalog and sees every write of both APIs, its read-only source is merged into
every read, its rule runs inside the store, and its background service starts
and stops with the runtime."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.test import Client

from eureka_compat.rules import EurekaRegistrationRule
from registry.config import RegistryConfig
from registry.runtime import RegistryRuntime, install_runtime
from registry.store.clock import ManualClock
from registry.store.merged import MergedCatalog
from tests.api.helpers import instance
from tests.api.helpers import register as register_native
from tests.eureka.helpers import BASE, eureka_instance
from tests.eureka.helpers import register as register_eureka
from tests.seam_app.plugin import (
    READ_ONLY_ID,
    TAGGED_SERVICE,
    AddTag,
    CountingCatalog,
    RecordingService,
)


@pytest.fixture
def runtime(settings: Any, clock: ManualClock) -> Iterator[RegistryRuntime]:
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.seam_app"]
    runtime = RegistryRuntime(RegistryConfig(), clock)
    previous = install_runtime(runtime)
    yield runtime
    runtime.stop()
    install_runtime(previous)


def counting(runtime: RegistryRuntime, namespace: str = "default") -> CountingCatalog:
    catalog = runtime.catalogs.get(namespace)
    assert isinstance(catalog, CountingCatalog)
    return catalog


def test_every_namespace_is_built_with_the_app_wrappers(runtime: RegistryRuntime):
    for namespace in ("default", "tenant-a", "tenant-b"):
        catalog = counting(runtime, namespace)
        assert catalog.namespace == namespace
        assert isinstance(catalog.inner, MergedCatalog)
    assert counting(runtime, "tenant-a") is counting(runtime, "tenant-a")
    assert runtime.catalogs.names() == ["default", "tenant-a", "tenant-b"]


def test_rules_of_every_app_are_composed_in_app_order(runtime: RegistryRuntime):
    kinds = [type(rule) for rule in runtime.rules._rules]
    assert kinds == [EurekaRegistrationRule, AddTag]


def test_the_wrapper_sees_every_native_write(runtime: RegistryRuntime):
    client = Client()
    created = register_native(client, instance(TAGGED_SERVICE, "10.0.0.1:80"))
    assert created.status_code == 201
    instance_id = orjson.loads(created.content)["id"]
    assert client.put(f"/api/v1/instances/{instance_id}/heartbeat").status_code == 200
    assert client.get("/api/v1/instances").status_code == 200  # reads: not counted
    assert client.delete(f"/api/v1/instances/{instance_id}").status_code == 200

    assert counting(runtime).writes == {"register": 1, "renew": 1, "deregister": 1}


def test_the_rule_runs_inside_the_store(runtime: RegistryRuntime):
    client = Client()
    created = register_native(client, instance(TAGGED_SERVICE, "10.0.0.1:80"))
    instance_id = orjson.loads(created.content)["id"]
    stored = runtime.catalogs.get("default").get_instance(instance_id)
    assert stored.tags == ("ruled",)
    listed = orjson.loads(client.get("/api/v1/instances").content)["instances"]
    assert [i["tags"] for i in listed if i["id"] == instance_id] == [["ruled"]]


def test_the_wrapper_sees_every_eureka_write(runtime: RegistryRuntime):
    client = Client()
    document = eureka_instance("SEAM", "10.0.0.2")
    instance_id = document["instance"]["instanceId"]
    path = f"{BASE}/apps/SEAM/{instance_id}"
    assert register_eureka(client, document, "SEAM").status_code == 204
    assert client.put(path).status_code == 200
    assert client.put(f"{path}/status?value=OUT_OF_SERVICE").status_code == 200
    assert client.delete(f"{path}/status?value=UP").status_code == 200
    assert client.put(f"{path}/metadata?k=v").status_code == 200
    assert client.delete(path).status_code == 200

    assert counting(runtime).writes == {
        "register": 1,
        "renew": 1,
        "update": 3,
        "deregister": 1,
    }


def test_read_only_instances_show_in_reads_of_both_apis(runtime: RegistryRuntime):
    client = Client()
    native = orjson.loads(client.get("/api/v1/instances").content)["instances"]
    assert [i["id"] for i in native] == [READ_ONLY_ID]
    one = client.get(f"/api/v1/instances/{READ_ONLY_ID}")
    assert one.status_code == 200
    assert orjson.loads(one.content)["instance"]["service_name"] == "readonly"
    eureka = client.get(f"{BASE}/apps/READONLY", headers={"Accept": "application/json"})
    assert eureka.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/instances/{id}/heartbeat"),
        ("delete", "/api/v1/instances/{id}"),
        ("put", f"{BASE}/apps/READONLY/{{id}}"),
        ("delete", f"{BASE}/apps/READONLY/{{id}}"),
        ("put", f"{BASE}/apps/READONLY/{{id}}/status?value=DOWN"),
        ("delete", f"{BASE}/apps/READONLY/{{id}}/status"),
        ("put", f"{BASE}/apps/READONLY/{{id}}/metadata?k=v"),
    ],
)
def test_writes_to_a_read_only_instance_get_each_api_no_such_instance(
    runtime: RegistryRuntime, method: str, path: str
):
    client = Client()
    unknown = getattr(client, method)(path.format(id="no-such-id"))
    response = getattr(client, method)(path.format(id=READ_ONLY_ID))
    assert response.status_code in (404, 410)
    assert (response.status_code, response.content) == (
        unknown.status_code,
        unknown.content,
    )
    assert runtime.catalogs.get("default").get_instance(READ_ONLY_ID).status == "UP"
    assert counting(runtime).inner.sources[0].get_instance(READ_ONLY_ID).status == "UP"  # type: ignore[attr-defined]


def test_background_services_start_and_stop_with_the_runtime(
    runtime: RegistryRuntime,
):
    names = [service.name for service in runtime.services]
    assert names == ["registry-expiry", "seam-recorder"]
    recorder = runtime.services[-1]
    assert isinstance(recorder, RecordingService)

    runtime.start()
    runtime.start()  # idempotent: once per process
    assert recorder.events == ["start"]
    runtime.stop()
    runtime.stop()
    assert recorder.events == ["start", "stop"]


def test_the_expiry_sweep_is_a_background_service(runtime: RegistryRuntime):
    sweeper = runtime.services[0]
    runtime.start()
    assert sweeper.running  # type: ignore[attr-defined]
    runtime.stop()
    assert not sweeper.running  # type: ignore[attr-defined]


def test_plugin_health_components_show_in_uptime(runtime: RegistryRuntime):
    runtime.start()
    response = Client().get("/uptime")
    assert response.status_code == 200
    assert orjson.loads(response.content)["SEAM"] == {
        "healthy": True,
        "properties": {"events": ["start"]},
    }
    runtime.stop()  # the component turns unhealthy, and so does /uptime
    response = Client().get("/uptime")
    assert response.status_code == 503
    assert orjson.loads(response.content)["SEAM"]["healthy"] is False
