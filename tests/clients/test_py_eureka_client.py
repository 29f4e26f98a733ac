"""py_eureka_client 0.13 (PyPI ``py-eureka-client``) against the registry.

The client runs in ``py_eureka_driver.py`` (a process of its own: the library cannot
stop its heartbeat thread). It sends no ``Accept`` header, so every document it
reads here is the server's XML. Renewal every second, leases of ten seconds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.clients.support import (
    Driver,
    eureka_register,
    native_delete,
    native_instance,
    poll,
    unique_app,
)
from tests.e2e.support import RegistryServer, parse_rfc3339

pytestmark = pytest.mark.e2e

PORT = 18080
DURATION = 10
DEFAULT_DATA_CENTER = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"
DOCS_URL = "http://127.0.0.1:18080/docs?a=1&b=<2>&c='\"é\"'"


def start_client(python_driver: Any, eureka_server: str, app: str) -> Driver:
    config = {
        "eureka_server": eureka_server,
        "app_name": app.lower(),
        "instance_port": PORT,
        "renewal_interval_in_secs": 1,
        "duration_in_secs": DURATION,
        # XML-special characters must survive the server's XML and the client's parser.
        "metadata": {"version": "v1", "docs": DOCS_URL},
    }
    driver: Driver = python_driver(json.dumps(config))
    driver.wait_event("started")
    return driver


def ids(app: str) -> tuple[str, str]:
    """The client's default instance id (``ip:app:port``) and the native id."""
    instance_id = f"127.0.0.1:{app.lower()}:{PORT}"
    return instance_id, f"{app}:{instance_id}"


def instances_in(view: dict[str, Any] | None, app: str) -> dict[str, dict[str, Any]]:
    """The instances of ``app`` in a fetched document, by instance id."""
    assert view is not None
    return {i["instanceId"]: i for i in view["apps"].get(app, [])}


def test_register_fetch_renew_and_deregister(
    registry: RegistryServer, http: requests.Session, python_driver: Any
) -> None:
    app = unique_app("PYEC")
    instance_id, store_id = ids(app)
    base = registry.url("/eureka/v2/")
    driver = start_client(python_driver, base.rstrip("/"), app)
    driver.wait_event("register", ok=True)
    driver.wait_event("full", ok=True)  # start() pulls the full registry once

    # Visible through the native API ...
    native = native_instance(http, registry, store_id)
    assert native is not None
    assert native["service_name"] == app
    assert native["status"] == "UP"
    assert native["endpoint"] == {"type": "tcp", "value": f"127.0.0.1:{PORT}"}
    assert native["ttl"] == DURATION
    # ... and through the client's own XML readers: the full registry ...
    fetched = driver.request("fetch")
    full = fetched["full"]
    mine = instances_in(full, app)[instance_id]
    assert mine["app"] == app
    assert mine["status"] == "UP"
    assert mine["overriddenstatus"] == "UNKNOWN"
    assert mine["port"] == [PORT, True]
    assert mine["securePort"] == [9443, False]
    assert mine["dataCenterInfo"] == [DEFAULT_DATA_CENTER, "MyOwn"]
    assert mine["leaseInfo"]["durationInSecs"] == DURATION
    assert mine["leaseInfo"]["renewalIntervalInSecs"] == 1
    assert mine["metadata"]["version"] == "v1"
    assert mine["metadata"]["docs"] == DOCS_URL
    assert mine["metadata"]["management.port"] == str(PORT)
    assert mine["vipAddress"] == app.lower()
    assert full["versions__delta"] == "1"
    assert full["apps__hashcode"] == full["client_hash"]
    # ... and the delta, which carries the registration and the full registry's hash.
    delta = fetched["delta"]
    assert instances_in(delta, app)[instance_id]["actionType"] == "ADDED"
    assert delta["apps__hashcode"] == full["apps__hashcode"]

    # The client's other readers: one app, one instance (two ways), VIPs.
    found = driver.request("lookups", app=app, instance_id=instance_id, vip=app.lower())
    assert found["application"]["name"] == app
    assert [i["instanceId"] for i in found["application"]["instances"]] == [instance_id]
    assert found["app_instance"] == found["instance"]  # no renewal in between
    # (Renewals move leaseInfo.lastRenewalTimestamp; the rest is the same document.)
    assert {**found["instance"], "leaseInfo": None} == {**mine, "leaseInfo": None}
    for name in ("vip", "svip"):
        assert list(instances_in(found[name], app)) == [instance_id]
        assert found[name]["versions__delta"] == "-1"
        assert found[name]["apps__hashcode"] == "UP_1_"

    # Renewals: the client's heartbeats succeed and move the lease.
    first = parse_rfc3339(native["last_heartbeat"])
    driver.wait_event("renew", ok=True)
    poll(
        "last_heartbeat after a renewal",
        lambda: native_instance(http, registry, store_id),
        lambda i: i is not None and parse_rfc3339(i["last_heartbeat"]) > first,
    )

    # The client's cache follows changes through deltas alone (the hashes match, so
    # no full re-fetch): a peer instance of the same app comes and goes.
    peer_id = f"127.0.0.1:{app.lower()}:{PORT + 1}"
    mark = driver.mark()
    eureka_register(http, base, app, peer_id, PORT + 1)

    def cached() -> dict[str, dict[str, Any]]:
        return instances_in(driver.request("cache")["cache"], app)

    poll("peer in the client's cache", cached, lambda c: peer_id in c)
    assert driver.events("delta", after=mark, ok=True)
    assert driver.events("full", after=mark) == []
    response = http.delete(f"{base}apps/{app}/{peer_id}")
    assert response.status_code == 200
    poll("peer gone from the client's cache", cached, lambda c: peer_id not in c)
    assert instance_id in cached()
    assert driver.events("full", after=mark) == []

    # stop(): re-registered as DOWN, then cancelled; the instance is gone.
    mark = driver.mark()
    driver.stop()
    assert driver.events("register", after=mark, ok=True)
    assert driver.events("cancel", after=mark, ok=True)
    assert native_instance(http, registry, store_id) is None
    assert http.get(f"{base}apps/{app}").status_code == 404


def test_status_override_and_its_removal(
    registry: RegistryServer, http: requests.Session, python_driver: Any
) -> None:
    app = unique_app("PYEC")
    instance_id, store_id = ids(app)
    driver = start_client(python_driver, registry.url("/eureka/v2"), app)

    def status() -> str | None:
        instance = native_instance(http, registry, store_id)
        return None if instance is None else instance["status"]

    def cached_status() -> str | None:
        cached = instances_in(driver.request("cache")["cache"], app)
        return cached[instance_id]["status"] if instance_id in cached else None

    mark = driver.mark()
    driver.request("status", value="OUT_OF_SERVICE")
    assert driver.events("status", after=mark, ok=True)
    assert status() == "OUT_OF_SERVICE"
    mine = instances_in(driver.request("fetch")["full"], app)[instance_id]
    assert (mine["status"], mine["overriddenstatus"]) == ("OUT_OF_SERVICE",) * 2
    # The client's cache picks the change up from a delta (MODIFIED), hashes agreeing.
    poll("OUT_OF_SERVICE in the cache", cached_status, lambda s: s == "OUT_OF_SERVICE")
    assert driver.events("delta", after=mark, ok=True)
    assert driver.events("full", after=mark) == []
    # Renewals go on, and do not undo the override.
    mark = driver.mark()
    driver.wait_event("renew", after=mark, ok=True)
    assert status() == "OUT_OF_SERVICE"

    # Dropping the override leaves the status UNKNOWN: the next renewal is refused
    # with 404, and the client re-registers itself UP.
    mark = driver.mark()
    driver.request("drop_override")
    assert driver.events("drop_override", after=mark, ok=True)
    driver.wait_event("renew", after=mark, ok=False, status=404)
    driver.wait_event("register", after=mark, ok=True)
    poll("status UP again", status, lambda s: s == "UP")
    mine = instances_in(driver.request("fetch")["full"], app)[instance_id]
    assert (mine["status"], mine["overriddenstatus"]) == ("UP", "UNKNOWN")
    poll("UP in the cache", cached_status, lambda s: s == "UP")
    driver.stop()
    assert status() is None


def test_reregisters_after_the_server_forgets_it(
    registry: RegistryServer, http: requests.Session, python_driver: Any
) -> None:
    """Through the original's token path (no-auth mode: namespace ``default``)."""
    app = unique_app("PYEC")
    instance_id, store_id = ids(app)
    base = registry.url("/api/eureka/default/v2")
    driver = start_client(python_driver, base, app)
    driver.wait_event("renew", ok=True)

    mark = driver.mark()
    native_delete(http, registry, store_id)  # as an expiry or a restart would
    driver.wait_event("renew", after=mark, ok=False, status=404)
    driver.wait_event("register", after=mark, ok=True)
    poll(
        "the instance registered again",
        lambda: native_instance(http, registry, store_id),
        lambda i: i is not None and i["status"] == "UP",
    )
    driver.wait_event("renew", after=driver.mark(), ok=True)
    fetched = driver.request("fetch")
    assert instances_in(fetched["full"], app)[instance_id]["status"] == "UP"
    # The delta's last word on the instance is its new registration.
    assert instances_in(fetched["delta"], app)[instance_id]["actionType"] == "ADDED"

    driver.stop()
    assert native_instance(http, registry, store_id) is None
