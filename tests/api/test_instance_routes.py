"""GET/DELETE /api/v1/instances/{id} and PUT .../heartbeat (spec §5.5, §5.6, Q22)."""

from __future__ import annotations

import orjson

from .helpers import error, instance, register


def registered(client, **members) -> str:
    return orjson.loads(register(client, instance(**members)).content)["id"]


def test_get_one_instance(client):
    instance_id = registered(client, tags=["a"])
    response = client.get(f"/api/v1/instances/{instance_id}")
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert list(body) == ["instance"]
    assert body["instance"]["id"] == instance_id
    assert body["instance"]["tags"] == ["a"]


def test_get_unknown_instance_is_404(client):
    response = client.get("/api/v1/instances/0123456789abcdef")
    assert response.status_code == 404
    assert error(response) == "Instance not found"


def test_deregister(client, runtime):
    instance_id = registered(client)
    response = client.delete(f"/api/v1/instances/{instance_id}")
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert runtime.catalogs.get("default").list_instances() == []

    again = client.delete(f"/api/v1/instances/{instance_id}")
    assert again.status_code == 410
    assert error(again) == "Failed to deregister instance"


def test_heartbeat_renews(client, runtime, clock):
    instance_id = registered(client, ttl=10)
    clock.advance(9)
    response = client.put(f"/api/v1/instances/{instance_id}/heartbeat")
    assert response.status_code == 200
    assert response.content == b""
    clock.advance(9)
    runtime.catalogs.expire_all()
    assert runtime.catalogs.get("default").get_instance(instance_id)


def test_heartbeat_ignores_its_body(client, runtime):
    instance_id = registered(client)
    response = client.put(
        f"/api/v1/instances/{instance_id}/heartbeat",
        b'{"ttl": 99, "status": "DOWN"}',
        content_type="application/json",
    )
    assert response.status_code == 200
    record = runtime.catalogs.get("default").get_instance(instance_id)
    assert (record.ttl, record.status) == (30, "UP")


def test_heartbeat_after_expiry_is_410_and_reregistration_recovers(
    client, runtime, clock
):
    instance_id = registered(client, ttl=10)
    clock.advance(10.5)
    runtime.catalogs.expire_all()

    response = client.put(f"/api/v1/instances/{instance_id}/heartbeat")
    assert response.status_code == 410
    assert error(response) == "Failed to renew instance registration"
    assert registered(client, ttl=10) == instance_id
    assert client.put(f"/api/v1/instances/{instance_id}/heartbeat").status_code == 200


def test_out_of_service_instances_never_expire(client, runtime, clock):
    instance_id = registered(client, ttl=10, status="OUT_OF_SERVICE")
    clock.advance(86400)
    runtime.catalogs.expire_all()
    assert client.get(f"/api/v1/instances/{instance_id}").status_code == 200
