"""Namespaces and authentication over the API (spec §3, decisions.md)."""

from __future__ import annotations

import base64
import json
import warnings

import jwt
import orjson
import pytest

from .helpers import error, instance, register

SECRET = "a-secret-of-32-bytes-or-more-ok!"


def token(claims: dict, secret: str = SECRET, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT warns about short test secrets
        return jwt.encode(claims, secret, algorithm=algorithm)


def unsigned(claims: dict) -> str:
    def segment(value: dict) -> str:
        return (
            base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
        )

    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."


def services(client, authorization: str | None = None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return client.get("/api/v1/services", headers=headers)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer ", "Bearer default", "bearer default", "BEARER default"],
)
def test_default_mode_accepts_the_default_namespace(client, authorization):
    assert services(client, authorization).status_code == 200


@pytest.mark.parametrize(
    ("authorization", "text"),
    [
        ("Bearer other", "Authorization failure, invalid token"),
        (
            "Basic dXNlcjpwYXNz",
            "Malformed request Authorization header, expecting Bearer Token",
        ),
        ("Bearer", "Malformed request Authorization header, expecting Bearer Token"),
        ("Token abc", "Malformed request Authorization header, expecting Bearer Token"),
    ],
)
def test_default_mode_rejects_other_tokens(client, authorization, text):
    response = services(client, authorization)
    assert response.status_code == 401
    assert error(response) == text
    assert response["WWW-Authenticate"] == 'Bearer realm="registry"'


def test_trusted_mode_isolates_namespaces(make_runtime, client):
    runtime = make_runtime(auth_mode=("trusted",))
    created = register(client, instance(), Authorization="Bearer tenant-a")
    instance_id = orjson.loads(created.content)["id"]
    b = {"Authorization": "Bearer tenant-b"}

    assert orjson.loads(client.get("/api/v1/services", headers=b).content) == {
        "services": []
    }
    assert orjson.loads(client.get("/api/v1/instances", headers=b).content) == {
        "instances": []
    }
    assert client.get("/api/v1/services/reviews", headers=b).status_code == 404
    assert client.get(f"/api/v1/instances/{instance_id}", headers=b).status_code == 404
    assert (
        client.put(f"/api/v1/instances/{instance_id}/heartbeat", headers=b).status_code
        == 410
    )
    assert (
        client.delete(f"/api/v1/instances/{instance_id}", headers=b).status_code == 410
    )
    assert runtime.catalogs.get("tenant-a").get_instance(instance_id)
    a = {"Authorization": "Bearer tenant-a"}
    assert orjson.loads(client.get("/api/v1/services", headers=a).content) == {
        "services": ["reviews"]
    }


def test_trusted_mode_requires_a_token(make_runtime, client):
    make_runtime(auth_mode=("trusted",))
    for authorization in (None, "Bearer "):
        response = services(client, authorization)
        assert response.status_code == 401
        assert error(response) == "Missing request Authorization header"


def test_same_endpoint_in_two_namespaces_are_two_instances(make_runtime, client):
    runtime = make_runtime(auth_mode=("trusted",))
    register(client, instance(ttl=20), Authorization="Bearer a")
    register(client, instance(ttl=40), Authorization="Bearer b")
    assert runtime.catalogs.get("a").list_instances()[0].ttl == 20
    assert runtime.catalogs.get("b").list_instances()[0].ttl == 40


@pytest.fixture
def jwt_client(make_runtime, client):
    make_runtime(auth_mode=("jwt",), jwt_secret=SECRET)
    return client


def test_jwt_grants_its_namespace(jwt_client):
    good = token({"namespace": "tenant-a", "exp": 1924992000})
    response = register(jwt_client, instance(), Authorization=f"Bearer {good}")
    assert response.status_code == 201
    listing = jwt_client.get(
        "/api/v1/services", headers={"Authorization": f"Bearer {good}"}
    )
    assert orjson.loads(listing.content) == {"services": ["reviews"]}


@pytest.mark.parametrize(
    "bad",
    [
        token({"namespace": "a", "exp": 1000}),
        token({"namespace": "a", "nbf": 4102444800}),
        token({"namespace": "a"}, secret="another-secret"),
        token({"namespace": "a"}, algorithm="HS512"),
        token({"namespace": 42}),
        token({"namespace": ["a"]}),
        token({"namespace": ""}),
        token({"sub": "a"}),
        token({"namespace": "a", "exp": "tomorrow"}),
        unsigned({"namespace": "a"}),
        "plain-token",
        "a.b.c",
    ],
)
def test_jwt_rejects_bad_tokens(jwt_client, bad):
    response = services(jwt_client, f"Bearer {bad}")
    assert response.status_code == 401
    assert error(response) == "Authorization failure, invalid token"


def test_jwt_mode_requires_a_token(jwt_client):
    response = services(jwt_client)
    assert response.status_code == 401
    assert error(response) == "Missing request Authorization header"


def test_jwt_then_trusted_chain(make_runtime, client):
    make_runtime(auth_mode=("jwt", "trusted"), jwt_secret=SECRET)
    assert services(client, "Bearer plain").status_code == 200
    good = token({"namespace": "a"})
    assert services(client, f"Bearer {good}").status_code == 200
    expired = token({"namespace": "a", "exp": 1000})
    assert services(client, f"Bearer {expired}").status_code == 401


def test_trusted_then_jwt_never_consults_jwt(make_runtime, client):
    runtime = make_runtime(auth_mode=("trusted", "jwt"), jwt_secret=SECRET)
    expired = token({"namespace": "a", "exp": 1000})
    register(client, instance(), Authorization=f"Bearer {expired}")
    assert runtime.catalogs.get(expired).list_services() == ["reviews"]


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        (
            "/api/v1/services",
            {"Authorization": "Bearer ünï"},
            b'{"Error":"Authorization failure, invalid token"}',
        ),
        ("/eureka/v2/apps", {"Authorization": "Bearer ünï"}, b""),
        ("/api/eureka/%C3%BCn%C3%AF/v2/apps", {}, b""),
    ],
)
def test_a_non_ascii_token_is_401_whatever_carries_it(
    make_runtime, client, path, headers, body
):
    runtime = make_runtime(auth_mode=("trusted",))
    response = client.get(path, headers=headers)
    assert (response.status_code, response.content) == (401, body)
    assert runtime.catalogs.names() == []  # no namespace was ever made
