"""Natively registered instances seen through the Eureka API, over HTTP (issue 10,
defect 10).

Eureka's write routes address the store id ``<APP>:<instanceId>`` only (spec
§6.4.2, §6.4.3, §6.4.8; decisions.md): a natively registered instance is renewed,
cancelled and changed through the native API, and a Eureka renew, cancel, status
or metadata change of it is a 404 with an empty body, like one of an id the Eureka
API never registered, and leaves it as it was. Reads still show it.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.support import (
    RegistryServer,
    assert_empty,
    instance_body,
    register,
    service_instances,
    unique,
)
from tests.eureka.helpers import eureka_instance

pytestmark = pytest.mark.e2e

JSON = {"Accept": "application/json"}


def _native(http: requests.Session, server: RegistryServer) -> tuple[str, str]:
    """A natively registered instance: (its service name, its id)."""
    name = unique("native")
    body = instance_body(name, "10.0.0.9:9080", ttl=60, metadata={"zone": "a"})
    return name, register(http, server, body)["id"]


def _stored(http: requests.Session, server: RegistryServer, name: str) -> Any:
    [instance] = service_instances(http, server, name)
    return instance


def test_eureka_writes_to_a_native_instance_are_404s(default_server, http):
    name, native_id = _native(http, default_server)
    before = _stored(http, default_server, name)
    path = default_server.url(f"/eureka/v2/apps/{name.upper()}/{native_id}")

    assert_empty(http.put(path), 404)  # renew
    assert_empty(http.put(f"{path}?status=UP&lastDirtyTimestamp=1"), 404)
    assert_empty(http.put(f"{path}/status?value=OUT_OF_SERVICE"), 404)
    assert_empty(http.delete(f"{path}/status?value=DOWN"), 404)
    assert_empty(http.put(f"{path}/metadata?zone=b"), 404)
    assert_empty(http.delete(path), 404)  # cancel

    after = _stored(http, default_server, name)
    assert after == before  # not renewed, not changed, not removed
    assert after["status"] == "UP"
    assert after["metadata"] == {"zone": "a"}


def test_a_native_instance_stays_readable_and_renewable_natively(default_server, http):
    name, native_id = _native(http, default_server)
    app = name.upper()

    fetched = http.get(
        default_server.url(f"/eureka/v2/apps/{app}/{native_id}"), headers=JSON
    )
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["instance"]["instanceId"] == native_id
    by_id = http.get(default_server.url(f"/eureka/v2/instances/{native_id}"))
    assert by_id.status_code == 200
    heartbeat = default_server.url(f"/api/v1/instances/{native_id}/heartbeat")
    assert http.put(heartbeat).status_code == 200


def test_a_eureka_instance_is_renewed_through_either_api(default_server, http):
    """The other direction is unchanged: the native API addresses every instance
    by its store id, Eureka registrations included."""
    app = unique("app").upper()
    body = eureka_instance(app, "10.0.0.8")
    instance_id = body["instance"]["instanceId"]
    base = default_server.url(f"/eureka/v2/apps/{app}")
    assert http.post(base, json=body).status_code == 204

    renewed = http.put(f"{base}/{instance_id}")
    assert (renewed.status_code, renewed.content) == (200, b"")
    native = default_server.url(f"/api/v1/instances/{app}:{instance_id}/heartbeat")
    assert http.put(native).status_code == 200
    cancelled = http.delete(f"{base}/{instance_id}")
    assert (cancelled.status_code, cancelled.content) == (200, b"")
    assert_empty(http.put(f"{base}/{instance_id}"), 404)
