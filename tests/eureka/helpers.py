"""Helpers for Eureka API tests: documents as real clients send them."""

from __future__ import annotations

from typing import Any

import orjson
from django.test import Client

BASE = "/eureka/v2"
JSON = {"Accept": "application/json"}


def eureka_instance(
    app: str = "DEMO-APP",
    host: str = "10.0.0.1",
    port_number: int = 8080,
    **members: Any,
) -> dict[str, Any]:
    """A registration body like Spring Cloud / py_eureka_client send."""
    body: dict[str, Any] = {
        "instanceId": f"{host}:{app.lower()}:{port_number}",
        "hostName": host,
        "app": app,
        "ipAddr": host,
        "status": "UP",
        "overriddenstatus": "UNKNOWN",
        "port": {"$": port_number, "@enabled": "true"},
        "securePort": {"$": 443, "@enabled": "false"},
        "countryId": 1,
        "dataCenterInfo": {
            "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
            "name": "MyOwn",
        },
        "leaseInfo": {"renewalIntervalInSecs": 30, "durationInSecs": 90},
        "metadata": {"management.port": str(port_number)},
        "vipAddress": app.lower(),
        "secureVipAddress": app.lower(),
        "isCoordinatingDiscoveryServer": "false",
        "lastUpdatedTimestamp": "1700000000000",
        "lastDirtyTimestamp": "1700000000000",
    }
    body.update(members)
    return {"instance": body}


def register(
    client: Client,
    document: Any,
    app: str = "DEMO-APP",
    base: str = BASE,
    **headers: str,
) -> Any:
    payload = document if isinstance(document, bytes) else orjson.dumps(document)
    return client.post(
        f"{base}/apps/{app}", payload, content_type="application/json", headers=headers
    )


def get_json(client: Client, path: str, **headers: str) -> Any:
    response = client.get(path, headers={**JSON, **headers})
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"] == "application/json"
    return orjson.loads(response.content)


def instances_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """instanceId -> instance of an applications document."""
    return {
        instance["instanceId"]: instance
        for application in document["applications"]["application"]
        for instance in application["instance"]
    }
