"""Authentication and namespaces (spec §3.1-§3.4, decisions Q6 and the Bearer rule)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.support import (
    JWT_SECRET,
    assert_empty,
    assert_error,
    b64url,
    bearer,
    instance_body,
    list_instances,
    make_jwt,
    register,
    unique,
    unsigned_jwt,
)

pytestmark = pytest.mark.e2e

MISSING = "Missing request Authorization header"
MALFORMED = "Malformed request Authorization header, expecting Bearer Token"
INVALID = "Authorization failure, invalid token"


def services(http, server, headers):
    response = http.get(server.url("/api/v1/services"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["services"]


# --- default mode ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer default", "bearer default", "BEARER default", "bEaReR default"],
)
def test_default_mode_accepts_the_default_namespace(
    default_server, http, authorization
):
    name = unique()
    register(http, default_server, instance_body(name))  # no header: ``default``
    headers = {} if authorization is None else {"Authorization": authorization}
    assert name in services(http, default_server, headers)
    response = http.post(
        default_server.url("/api/v1/instances"),
        json=instance_body(name, "h:2"),
        headers=headers,
    )
    assert response.status_code == 201
    assert len(list_instances(http, default_server, f"?service_name={name}")) == 2


@pytest.mark.parametrize(
    ("authorization", "text"),
    [
        ("Bearer other", INVALID),
        ("Bearer Default", INVALID),
        ("Bearer  default", INVALID),  # the token is " default"
        ("Basic x", MALFORMED),
        ("Basic ZGVmYXVsdDo=", MALFORMED),
        ("Bearer", MALFORMED),
        # Trailing whitespace is not part of a header value: this is "Bearer".
        ("Bearer ", MALFORMED),
        ("default", MALFORMED),
        ("Token default", MALFORMED),
    ],
)
def test_default_mode_rejects_other_tokens(default_server, http, authorization, text):
    headers = {"Authorization": authorization}
    name = unique()
    for response in (
        http.get(default_server.url("/api/v1/services"), headers=headers),
        http.get(default_server.url("/api/v1/instances"), headers=headers),
        http.post(
            default_server.url("/api/v1/instances"),
            json=instance_body(name),
            headers=headers,
        ),
        http.delete(
            default_server.url("/api/v1/instances/0123456789abcdef"), headers=headers
        ),
    ):
        assert_error(response, 401, text)
    assert name not in services(http, default_server, {})


# --- trusted mode -----------------------------------------------------------------


def test_trusted_mode_requires_a_token(trusted_server, http):
    for headers in ({}, {"Authorization": ""}):
        assert_error(
            http.get(trusted_server.url("/api/v1/services"), headers=headers),
            401,
            MISSING,
        )
        assert_error(
            http.post(
                trusted_server.url("/api/v1/instances"),
                json=instance_body(unique()),
                headers=headers,
            ),
            401,
            MISSING,
        )


def test_trusted_mode_rejects_a_malformed_header(trusted_server, http):
    response = http.get(
        trusted_server.url("/api/v1/services"), headers={"Authorization": "Basic x"}
    )
    assert_error(response, 401, MALFORMED)


def test_trusted_namespaces_are_isolated(trusted_server, http, namespace):
    mine, theirs = bearer(namespace), bearer(f"{namespace}-other")
    name = unique()
    result = register(http, trusted_server, instance_body(name, tags=["t"]), mine)
    instance_id = result["id"]
    base = trusted_server.url(f"/api/v1/instances/{instance_id}")

    # The other namespace sees nothing ...
    assert services(http, trusted_server, theirs) == []
    assert list_instances(http, trusted_server, "", theirs) == []
    assert list_instances(http, trusted_server, "?status=ALL", theirs) == []
    assert list_instances(http, trusted_server, f"?id={instance_id}", theirs) == []
    assert_error(http.get(base, headers=theirs), 404, "Instance not found")
    assert_error(
        http.get(trusted_server.url(f"/api/v1/services/{name}"), headers=theirs),
        404,
        "Failed to enumerate service names",
    )
    # ... and cannot change anything.
    assert_error(
        http.put(f"{base}/heartbeat", headers=theirs),
        410,
        "Failed to renew instance registration",
    )
    assert_error(
        http.delete(base, headers=theirs), 410, "Failed to deregister instance"
    )

    # The owner still has it, unchanged.
    assert services(http, trusted_server, mine) == [name]
    [instance] = list_instances(http, trusted_server, "", mine)
    assert instance["id"] == instance_id
    assert instance["tags"] == ["t"]
    assert_empty(http.delete(base, headers=mine))


def test_same_instance_in_two_namespaces_is_two_instances(
    trusted_server, http, namespace
):
    first, second = bearer(namespace), bearer(f"{namespace}-2")
    body = instance_body("shared", "10.0.0.9:80")
    a = register(http, trusted_server, {**body, "tags": ["first"]}, first)
    b = register(http, trusted_server, {**body, "tags": ["second"]}, second)
    assert a["id"] == b["id"]
    assert_empty(
        http.delete(trusted_server.url(f"/api/v1/instances/{a['id']}"), headers=first)
    )
    [left] = list_instances(http, trusted_server, "", second)
    assert left["tags"] == ["second"]
    assert list_instances(http, trusted_server, "", first) == []


def test_trusted_namespace_names_are_taken_verbatim(trusted_server, http):
    """Any non-empty token is the namespace, whatever its characters or case.

    (ASCII ones: a non-ASCII token is a 401, tests/e2e/test_token_encoding.py.)"""
    token = unique("Tenant A/~!")
    register(http, trusted_server, instance_body("svc"), bearer(token))
    assert services(http, trusted_server, bearer(token)) == ["svc"]
    assert services(http, trusted_server, bearer(token.lower())) == []
    # The scheme is case-insensitive here too.
    assert services(http, trusted_server, {"Authorization": f"BEARER {token}"}) == [
        "svc"
    ]


# --- jwt mode ---------------------------------------------------------------------


def jwt_namespace_sees(http, server, token, name) -> bool:
    return name in services(http, server, bearer(token))


def test_jwt_valid_token_binds_its_namespace(jwt_server, http):
    tenant = unique("tenant")
    token = make_jwt({"namespace": tenant, "exp": int(time.time()) + 3600})
    name = unique()
    register(http, jwt_server, instance_body(name), bearer(token))

    # Any valid token for the same namespace sees it, another namespace does not.
    same = make_jwt({"namespace": tenant, "iss": "someone", "sub": "x"})
    other = make_jwt({"namespace": f"{tenant}-other"})
    assert jwt_namespace_sees(http, jwt_server, same, name)
    assert not jwt_namespace_sees(http, jwt_server, other, name)
    assert services(http, jwt_server, bearer(other)) == []


def test_jwt_with_nbf_in_the_past_and_iat_is_accepted(jwt_server, http):
    now = int(time.time())
    token = make_jwt(
        {"namespace": unique("tenant"), "nbf": now - 60, "iat": now, "exp": now + 60}
    )
    assert services(http, jwt_server, bearer(token)) == []


def wrong_tokens():
    now = int(time.time())
    good = {"namespace": "tenant-x"}
    return {
        "expired": make_jwt({**good, "exp": now - 60}),
        "not yet valid": make_jwt({**good, "nbf": now + 3600}),
        "wrong signature": make_jwt(good, secret=JWT_SECRET + "-not"),
        "alg none": unsigned_jwt(good),
        "alg none, signed": unsigned_jwt(good) + "c2ln",
        "HS512 same secret": make_jwt(good, algorithm="HS512"),
        "HS384 same secret": make_jwt(good, algorithm="HS384"),
        "namespace 42": make_jwt({"namespace": 42}),
        "namespace list": make_jwt({"namespace": ["tenant-x"]}),
        "namespace object": make_jwt({"namespace": {"name": "tenant-x"}}),
        "namespace null": make_jwt({"namespace": None}),
        "namespace true": make_jwt({"namespace": True}),
        "namespace empty": make_jwt({"namespace": ""}),
        "namespace missing": make_jwt({"sub": "tenant-x"}),
        "tampered claims": _tampered(make_jwt(good)),
        "bad signature encoding": make_jwt(good)[:-4] + "!!!!",
        "plain": "plain",
        "two segments": "a.b",
        "not base64": "@@@.@@@.@@@",
    }


def _tampered(token: str) -> str:
    header, _, signature = token.split(".")
    claims = b64url(b'{"namespace":"tenant-y"}')
    return f"{header}.{claims}.{signature}"


@pytest.mark.parametrize("case", list(wrong_tokens()))
def test_jwt_mode_rejects_bad_tokens(jwt_server, http, case):
    token = wrong_tokens()[case]
    for response in (
        http.get(jwt_server.url("/api/v1/services"), headers=bearer(token)),
        http.post(
            jwt_server.url("/api/v1/instances"),
            json=instance_body(unique()),
            headers=bearer(token),
        ),
    ):
        assert_error(response, 401, INVALID)


def test_jwt_mode_requires_a_token(jwt_server, http):
    for headers in ({}, {"Authorization": ""}):
        assert_error(
            http.get(jwt_server.url("/api/v1/services"), headers=headers),
            401,
            MISSING,
        )
    assert_error(
        http.get(jwt_server.url("/api/v1/services"), headers={"Authorization": "x"}),
        401,
        MALFORMED,
    )


# --- jwt,trusted ------------------------------------------------------------------


def test_jwt_then_trusted_accepts_plain_tokens_as_namespaces(jwt_trusted_server, http):
    """``plain`` is 401 in jwt-only mode; here ``trusted`` takes it as a namespace."""
    name = unique()
    register(http, jwt_trusted_server, instance_body(name), bearer("plain"))
    # A JWT for namespace ``plain`` sees the same catalog; other namespaces do not.
    assert name in services(
        http, jwt_trusted_server, bearer(make_jwt({"namespace": "plain"}))
    )
    assert name not in services(http, jwt_trusted_server, bearer(unique("plain")))


def test_jwt_then_trusted_binds_valid_jwts_to_their_namespace(jwt_trusted_server, http):
    tenant = unique("tenant")
    name = unique()
    register(
        http,
        jwt_trusted_server,
        instance_body(name),
        bearer(make_jwt({"namespace": tenant})),
    )
    assert services(http, jwt_trusted_server, bearer(tenant)) == [name]


def test_jwt_then_trusted_still_verifies_jwts(jwt_trusted_server, http):
    for case in ("expired", "wrong signature", "alg none", "namespace 42"):
        token = wrong_tokens()[case]
        response = http.get(
            jwt_trusted_server.url("/api/v1/services"), headers=bearer(token)
        )
        assert_error(response, 401, INVALID)
    assert_error(http.get(jwt_trusted_server.url("/api/v1/services")), 401, MISSING)


def test_401_names_the_bearer_scheme(trusted_server, http):
    # docs/compatibility.md: RFC 6750's challenge, which the original omitted.
    response = http.get(trusted_server.url("/api/v1/services"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="registry"'
