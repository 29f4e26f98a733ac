"""eureka-js-client 4.5.0 (npm) against the registry, through ``eureka_js_driver.js``.

The client is configured with the apps URL (``…/v2/apps/``), a lower-case app name
and a ``host:app:port`` instance id, which it sends raw (``:`` not percent-encoded)
in renewals and cancels. It reads JSON and demands exact codes (204 on register, 200
on renew and cancel); a renewal 404 makes it register again by itself. Heartbeats
and registry fetches every second. It has no status API.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.clients.support import (
    Driver,
    Message,
    eureka_register,
    native_delete,
    native_instance,
    poll,
    unique_app,
)
from tests.e2e.support import RegistryServer, parse_rfc3339

pytestmark = pytest.mark.e2e

PORT = 18082


def start_client(
    node_driver: Any,
    apps_url: str,
    app: str,
    should_use_delta: bool,
    heartbeat_ms: int = 1000,
    duration: int | None = None,
) -> tuple[Driver, str]:
    instance_id = f"127.0.0.1:{app.lower()}:{PORT}"
    config = {
        "serviceUrl": apps_url,
        "app": app.lower(),
        "instanceId": instance_id,
        "port": PORT,
        "heartbeatInterval": heartbeat_ms,
        "registryFetchInterval": 1000,
        "shouldUseDelta": should_use_delta,
        "durationInSecs": duration,
    }
    driver: Driver = node_driver(json.dumps(config))
    driver.wait_event("started")
    return driver, instance_id


def request_done(method: str, uri: str, status: int) -> Any:
    def matches(m: Message) -> bool:
        return m.get("event") == "request" and (m["method"], m["uri"], m["status"]) == (
            method,
            uri,
            status,
        )

    return matches


def test_register_fetch_renew_and_deregister(
    registry: RegistryServer, http: requests.Session, node_driver: Any
) -> None:
    app = unique_app("JSEC")
    apps_url = registry.url("/eureka/v2/apps/")
    driver, instance_id = start_client(node_driver, apps_url, app, True)
    store_id = f"{app}:{instance_id}"
    assert driver.events("request", method="POST", uri=app.lower(), status=204)
    assert driver.events("request", method="GET", uri="", status=200)  # full fetch

    native = native_instance(http, registry, store_id)
    assert native is not None
    assert (native["service_name"], native["status"]) == (app, "UP")
    assert native["endpoint"] == {"type": "tcp", "value": f"127.0.0.1:{PORT}"}
    # The client's cache, by app and by VIP (it keeps the JSON objects as they are).
    (mine,) = driver.request("instances", app=app)["instances"]
    assert mine["instanceId"] == instance_id
    assert mine["status"] == "UP"
    assert mine["port"] == {"$": PORT, "@enabled": "true"}
    assert mine["securePort"]["@enabled"] == "false"
    assert mine["dataCenterInfo"]["@class"].endswith("$DefaultDataCenterInfo")
    assert [
        i["instanceId"] for i in driver.request("vip", vip=app.lower())["instances"]
    ] == [instance_id]

    # Renewals: PUT apps/<app>/<raw id> answered 200, and the lease moves.
    first = parse_rfc3339(native["last_heartbeat"])
    driver.wait_for(
        "renewal 200", request_done("PUT", f"{app.lower()}/{instance_id}", 200)
    )
    driver.wait_event("heartbeat")
    poll(
        "last_heartbeat after a renewal",
        lambda: native_instance(http, registry, store_id),
        lambda i: i is not None and parse_rfc3339(i["last_heartbeat"]) > first,
    )

    # With shouldUseDelta the client only fetches deltas once it has the full
    # registry: a peer of the same VIP comes and goes through deltas alone.
    driver.wait_for("delta fetch", request_done("GET", "delta", 200))
    mark = driver.mark()
    peer_id = f"127.0.0.1:{app.lower()}:{PORT + 1}"
    base = registry.url("/eureka/v2/")
    eureka_register(http, base, app, peer_id, PORT + 1)

    def vip_cache() -> list[str]:
        instances = driver.request("vip", vip=app.lower())["instances"]
        return sorted(i["instanceId"] for i in instances)

    poll("peer in the client's cache", vip_cache, lambda ids: peer_id in ids)
    assert http.delete(f"{base}apps/{app}/{peer_id}").status_code == 200
    poll("peer gone from the cache", vip_cache, lambda ids: ids == [instance_id])
    fetches = [
        m["uri"] for m in driver.events("request", after=mark) if m["method"] == "GET"
    ]
    assert fetches, "no registry fetch while the peer came and went"
    assert set(fetches) == {"delta"}, fetches

    # stop(): DELETE apps/<app>/<raw id> answered exactly 200.
    reply = driver.stop()
    assert reply["error"] is None
    assert driver.events("deregistered")
    assert driver.events(
        "request", method="DELETE", uri=f"{app.lower()}/{instance_id}", status=200
    )
    assert native_instance(http, registry, store_id) is None


def test_reregisters_after_the_server_forgets_it(
    registry: RegistryServer, http: requests.Session, node_driver: Any
) -> None:
    """Through the original's token path (no-auth mode: namespace ``default``)."""
    app = unique_app("JSEC")
    apps_url = registry.url("/api/eureka/default/v2/apps/")
    driver, instance_id = start_client(node_driver, apps_url, app, False)
    store_id = f"{app}:{instance_id}"
    driver.wait_event("heartbeat")

    mark = driver.mark()
    native_delete(http, registry, store_id)  # as an expiry or a restart would
    driver.wait_for(
        "renewal 404", request_done("PUT", f"{app.lower()}/{instance_id}", 404), mark
    )
    driver.wait_event("registered", after=mark)
    poll(
        "the instance registered again",
        lambda: native_instance(http, registry, store_id),
        lambda i: i is not None and i["status"] == "UP",
    )
    driver.wait_event("heartbeat", after=driver.mark())
    fetched = driver.request("fetch", app=app)
    assert fetched["delta"] is False
    assert [i["instanceId"] for i in fetched["instances"]] == [instance_id]

    assert driver.stop()["error"] is None
    assert native_instance(http, registry, store_id) is None


def test_reregisters_after_its_lease_expires(
    registry: RegistryServer, http: requests.Session, node_driver: Any
) -> None:
    """A real expiry: a one-second lease renewed every two seconds lapses in between;
    the renewal after it gets 404 and the client registers again."""
    app = unique_app("JSEC")
    apps_url = registry.url("/eureka/v2/apps/")
    driver, instance_id = start_client(
        node_driver, apps_url, app, False, heartbeat_ms=2000, duration=1
    )
    store_id = f"{app}:{instance_id}"
    mark = driver.mark()
    registered = native_instance(http, registry, store_id)
    assert registered is not None
    assert registered["ttl"] == 1
    poll(
        "the lease expired",
        lambda: native_instance(http, registry, store_id),
        lambda i: i is None,
        timeout=3,
    )
    driver.wait_for(
        "renewal 404", request_done("PUT", f"{app.lower()}/{instance_id}", 404), mark
    )
    driver.wait_event("registered", after=mark)
    assert native_instance(http, registry, store_id) is not None
    # The lease may lapse again before the cancel: then its 404 is right too.
    error = driver.stop()["error"]
    assert error is None or "status: 404" in error, error
    assert native_instance(http, registry, store_id) is None
