"""pyeureka 2021.5.12.0 (PyPI ``pyeureka``) against the registry, in process.

pyeureka appends ``/eureka/apps/...`` to the server root itself, so it exercises the
Spring-style ``/eureka/`` prefix; it sends ``Accept: application/json`` on GETs and
demands exact status codes (204 on register, 200 elsewhere). It has no background
re-registration: a renewal 404 raises ``EurekaInstanceDoesNotExistException`` and the
application registers again. Its ``SimpleEurekaServiceWrapper`` timer thread is not
used: ``stop()`` races with a running heartbeat, which re-arms the timer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pyeureka.client import (  # type: ignore[import-untyped]
    EurekaClient,
    EurekaClientError,
    EurekaInstanceDoesNotExistException,
)

from tests.clients.support import native_delete, native_instance, poll, unique_app
from tests.e2e.support import RegistryServer, parse_rfc3339

pytestmark = pytest.mark.e2e

PORT = 18081


class Registration:
    """One pyeureka client for a fresh app; cancelled after the test if still there."""

    def __init__(self, server: RegistryServer) -> None:
        self.server = server
        self.app = unique_app("PYEU")
        self.instance_id = f"127.0.0.1:{self.app.lower()}:{PORT}"
        self.store_id = f"{self.app}:{self.instance_id}"
        self.client = EurekaClient(
            server.url(""),  # the root: pyeureka adds /eureka/apps/...
            {
                "instanceId": self.instance_id,
                "app": self.app.lower(),  # pyeureka posts to /eureka/apps/<lower>
                "ipAddr": "127.0.0.1",
                "hostName": "127.0.0.1",
                "port": PORT,
                "vipAddress": self.app.lower(),
                "secureVipAddress": self.app.lower(),
            },
        )


@pytest.fixture
def pyeureka(registry: RegistryServer) -> Iterator[Registration]:
    registration = Registration(registry)
    yield registration
    with contextlib.suppress(EurekaClientError):  # already cancelled by the test
        registration.client.deregister()


def by_id(instances: list[dict[str, Any]], instance_id: str) -> dict[str, Any]:
    found = [i for i in instances if i["instanceId"] == instance_id]
    assert len(found) == 1, instances
    return found[0]


def test_register_query_heartbeat_and_deregister(
    pyeureka: Registration, registry: RegistryServer, http: requests.Session
) -> None:
    client, app, instance_id = pyeureka.client, pyeureka.app, pyeureka.instance_id
    client.register()  # raises unless the answer is exactly 204

    native = native_instance(http, registry, pyeureka.store_id)
    assert native is not None
    assert (native["service_name"], native["status"]) == (app, "UP")
    assert native["endpoint"] == {"type": "tcp", "value": f"127.0.0.1:{PORT}"}

    # Every query pyeureka has, all JSON.
    applications = client.query()["applications"]
    (application,) = [a for a in applications["application"] if a["name"] == app]
    mine = by_id(application["instance"], instance_id)
    assert mine["app"] == app
    assert mine["status"] == "UP"  # pyeureka sends no status: the default applies
    assert mine["port"] == {"$": PORT, "@enabled": "true"}
    assert mine["securePort"] == {"$": 443, "@enabled": "false"}
    assert mine["dataCenterInfo"]["@class"].endswith("$DefaultDataCenterInfo")
    assert isinstance(applications["versions__delta"], str)
    assert isinstance(applications["apps__hashcode"], str)
    one_app = client.query(app=app.lower())["application"]
    assert one_app["name"] == app
    assert by_id(one_app["instance"], instance_id)["status"] == "UP"
    assert client.query(app=app.lower(), instance=instance_id)["instance"][
        "instanceId"
    ] == (instance_id)
    assert client.query(instance=instance_id)["instance"]["app"] == app
    vip = client.query_vip(app.lower()).json()["applications"]["application"]
    assert [i["instanceId"] for a in vip for i in a["instance"]] == [instance_id]
    svip = client.query_svip(app.lower()).json()["applications"]["application"]
    assert [i["instanceId"] for a in svip for i in a["instance"]] == [instance_id]

    # Heartbeats: exactly 200 (its lastDirtyTimestamp is in seconds: no 404).
    first = parse_rfc3339(native["last_heartbeat"])
    client.heartbeat()
    renewed = native_instance(http, registry, pyeureka.store_id)
    assert renewed is not None
    assert parse_rfc3339(renewed["last_heartbeat"]) > first

    # Metadata updates are merged into the instance.
    client.update_metadata("version", "v2")
    metadata = client.query(app=app.lower(), instance=instance_id)["instance"][
        "metadata"
    ]
    assert metadata["version"] == "v2"

    client.deregister()  # exactly 200
    assert native_instance(http, registry, pyeureka.store_id) is None
    with pytest.raises(EurekaClientError):
        client.query(app=app.lower())  # 404: no instances left
    with pytest.raises(EurekaInstanceDoesNotExistException):
        client.heartbeat()


def test_out_of_service_and_back(
    pyeureka: Registration, registry: RegistryServer, http: requests.Session
) -> None:
    client, app, instance_id = pyeureka.client, pyeureka.app, pyeureka.instance_id
    client.register()

    def status_seen() -> tuple[str | None, str, str]:
        native = native_instance(http, registry, pyeureka.store_id)
        mine = client.query(app=app.lower(), instance=instance_id)["instance"]
        native_status = None if native is None else native["status"]
        return native_status, mine["status"], mine["overriddenstatus"]

    client.take_instance_out_of_service()
    assert status_seen() == ("OUT_OF_SERVICE",) * 3
    client.heartbeat()  # a renewal does not undo the override
    assert status_seen() == ("OUT_OF_SERVICE",) * 3
    client.put_instance_back_into_service()
    assert status_seen() == ("UP",) * 3
    client.heartbeat()
    assert status_seen()[:2] == ("UP", "UP")


def test_heartbeat_404_after_the_server_forgets_it(
    pyeureka: Registration, registry: RegistryServer, http: requests.Session
) -> None:
    client = pyeureka.client
    client.register()
    client.heartbeat()
    native_delete(http, registry, pyeureka.store_id)  # as an expiry or a restart would

    with pytest.raises(EurekaInstanceDoesNotExistException):
        client.heartbeat()
    client.register()  # what an application does on that exception
    poll(
        "the instance registered again",
        lambda: native_instance(http, registry, pyeureka.store_id),
        lambda i: i is not None and i["status"] == "UP",
    )
    client.heartbeat()
    client.deregister()
    assert native_instance(http, registry, pyeureka.store_id) is None
