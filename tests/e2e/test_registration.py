"""``POST /api/v1/instances`` that succeed (spec §5.3, §4.2, §4.4), capacity (§3.5).

Refused registrations are in ``test_registration_errors.py``.
"""

from __future__ import annotations

import concurrent.futures

import pytest

from tests.e2e.support import (
    SHORT_DEFAULT_TTL,
    SHORT_MAX_TTL,
    SHORT_MIN_TTL,
    assert_error,
    bearer,
    client_session,
    instance_body,
    post_raw,
    register,
    service_instances,
    unique,
)

pytestmark = pytest.mark.e2e

REGISTRATION_FAILED = "Failed to register instance"


# --- success ----------------------------------------------------------------------


def test_register_returns_201_with_location_and_links(default_server, http):
    name = unique()
    response = http.post(
        default_server.url("/api/v1/instances"),
        json=instance_body(name, "10.1.2.3:9080", ttl=45),
    )

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    instance_id = body["id"]
    self_link = f"http://{default_server.host}/api/v1/instances/{instance_id}"
    assert body == {
        "id": instance_id,
        "ttl": 45,
        "links": {"self": self_link, "heartbeat": f"{self_link}/heartbeat"},
    }
    assert list(body) == ["id", "ttl", "links"]
    assert response.headers["Location"] == self_link
    [stored] = service_instances(http, default_server, name)
    assert stored["id"] == instance_id
    assert stored["endpoint"] == {"type": "http", "value": "10.1.2.3:9080"}
    assert stored["status"] == "UP"
    assert stored["ttl"] == 45


def test_links_use_the_host_header(default_server, http):
    response = http.post(
        default_server.url("/api/v1/instances"),
        json=instance_body(unique()),
        headers={"Host": "registry.example.com:8080"},
    )
    assert response.status_code == 201
    self_link = (
        f"http://registry.example.com:8080/api/v1/instances/{response.json()['id']}"
    )
    assert response.headers["Location"] == self_link
    assert response.json()["links"]["self"] == self_link


def test_links_use_https_behind_a_tls_proxy(default_server, http):
    response = http.post(
        default_server.url("/api/v1/instances"),
        json=instance_body(unique()),
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 201
    instance_id = response.json()["id"]
    self_link = f"https://{default_server.host}/api/v1/instances/{instance_id}"
    assert response.headers["Location"] == self_link
    assert response.json()["links"] == {
        "self": self_link,
        "heartbeat": f"{self_link}/heartbeat",
    }


def test_instance_id_is_deterministic(trusted_server, http, namespace):
    """Spec §4.2 example: ``reviews/http/10.0.0.5:9080`` -> ``26634d9e31ce714e``."""
    body = instance_body("reviews", "10.0.0.5:9080")
    result = register(http, trusted_server, body, bearer(namespace))
    assert result["id"] == "26634d9e31ce714e"
    # Another namespace derives the same id from the same service and endpoint.
    other = register(http, trusted_server, body, bearer(f"{namespace}-other"))
    assert other["id"] == "26634d9e31ce714e"
    # The endpoint type is part of the identity.
    tcp = register(
        http,
        trusted_server,
        instance_body("reviews", "10.0.0.5:9080", "tcp"),
        bearer(namespace),
    )
    assert tcp["id"] != "26634d9e31ce714e"
    ids = {
        i["id"]
        for i in service_instances(http, trusted_server, "reviews", bearer(namespace))
    }
    assert ids == {"26634d9e31ce714e", tcp["id"]}


def test_reregistration_overwrites_the_instance(default_server, http):
    name = unique()
    first = register(
        http,
        default_server,
        instance_body(
            name, ttl=20, status="STARTING", tags=["a"], metadata={"version": 1}
        ),
    )
    second = register(
        http,
        default_server,
        instance_body(name, ttl=40, tags=["b", "b"], metadata={"version": 2}),
    )

    assert second["id"] == first["id"]
    assert second["ttl"] == 40
    [stored] = service_instances(http, default_server, name)
    assert stored["id"] == first["id"]
    assert stored["ttl"] == 40
    assert stored["status"] == "UP"
    assert stored["tags"] == ["b", "b"]
    assert stored["metadata"] == {"version": 2}


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (None, 30),  # absent -> default
        (0, 30),  # 0 -> default
        (1, 10),  # below min -> min
        (10, 10),
        (45, 45),
        (600, 600),
        (601, 600),  # above max -> max
        (4294967295, 600),
    ],
)
def test_ttl_is_clamped_with_the_default_settings(
    default_server, http, requested, granted
):
    extra = {} if requested is None else {"ttl": requested}
    name = unique()
    result = register(http, default_server, instance_body(name, **extra))
    assert result["ttl"] == granted
    [stored] = service_instances(http, default_server, name)
    assert stored["ttl"] == granted


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (0, SHORT_DEFAULT_TTL),
        (1, SHORT_MIN_TTL),
        (5, 5),
        (SHORT_MAX_TTL + 1, SHORT_MAX_TTL),
    ],
)
def test_ttl_is_clamped_with_configured_settings(
    short_ttl_server, http, requested, granted
):
    result = register(
        http,
        short_ttl_server,
        instance_body(unique(), ttl=requested, status="OUT_OF_SERVICE"),
    )
    assert result["ttl"] == granted


def test_status_is_case_insensitive_and_stored_upper_case(default_server, http):
    name = unique()
    for value, status in (
        ("10.0.0.1:1", "up"),
        ("10.0.0.1:2", "Starting"),
        ("10.0.0.1:3", "out_of_service"),
    ):
        register(http, default_server, instance_body(name, value, status=status))
    stored = service_instances(http, default_server, name)
    assert sorted(i["status"] for i in stored) == [
        "OUT_OF_SERVICE",
        "STARTING",
        "UP",
    ]


def test_empty_status_means_up(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name, status=""))
    [stored] = service_instances(http, default_server, name)
    assert stored["status"] == "UP"


@pytest.mark.parametrize(
    "metadata",
    [
        {"version": "v1", "nested": {"list": [1, 2.5, True, None]}},
        ["a", 1],
        "text",
        42,
        False,
        None,
    ],
)
def test_metadata_of_any_json_type_is_kept(default_server, http, metadata):
    name = unique()
    register(http, default_server, instance_body(name, metadata=metadata))
    [stored] = service_instances(http, default_server, name)
    assert "metadata" in stored
    assert stored["metadata"] == metadata


def test_metadata_is_re_emitted_compacted(default_server, http):
    name = unique()
    body = (
        '{"service_name":"NAME","endpoint":{"type":"tcp","value":"h:1"},'
        '"metadata": { "a" : [ 1 , 2 ] ,\n "b" : "x y" } }'
    ).replace("NAME", name)
    assert post_raw(http, default_server, body).status_code == 201
    response = http.get(
        default_server.url(f"/api/v1/instances?service_name={name}&fields=metadata")
    )
    assert b'"metadata":{"a":[1,2],"b":"x y"}' in response.content


def test_absent_metadata_and_tags_are_omitted(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name))
    [stored] = service_instances(http, default_server, name)
    assert "metadata" not in stored
    assert "tags" not in stored


def test_tags_keep_order_and_duplicates(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name, tags=["z", "a", "z", ""]))
    [stored] = service_instances(http, default_server, name)
    assert stored["tags"] == ["z", "a", "z", ""]


def test_member_names_match_case_insensitively(default_server, http):
    """Spec §2.2: Go's decoder fills ``service_name`` from ``Service_Name``."""
    name = unique()
    body = (
        '{"Service_Name":"NAME","ENDPOINT":{"Type":"http","VALUE":"h:2"},"TTL":25}'
    ).replace("NAME", name)
    response = post_raw(http, default_server, body)
    assert response.status_code == 201, response.text
    assert response.json()["ttl"] == 25
    [stored] = service_instances(http, default_server, name)
    assert stored["endpoint"] == {"type": "http", "value": "h:2"}


def test_unknown_members_are_ignored(default_server, http):
    name = unique()
    register(http, default_server, instance_body(name, color="blue", links={"x": 1}))
    [stored] = service_instances(http, default_server, name)
    assert "color" not in stored


def test_charset_utf8_is_accepted_in_any_case(default_server, http):
    for content_type in (
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
    ):
        name = unique()
        response = post_raw(
            http,
            default_server,
            b'{"service_name":"%s","endpoint":{"type":"http","value":"h:1"}}'
            % name.encode(),
            {"Content-Type": content_type},
        )
        assert response.status_code == 201, (content_type, response.text)


def test_limits_are_inclusive(default_server, http):
    """64-byte service name, 128-byte endpoint value, 1024-byte metadata: accepted."""
    name = unique("n").ljust(64, "x")
    metadata = "m" * (1024 - 2)  # a JSON string: two quotes + 1022 bytes
    result = register(
        http, default_server, instance_body(name, "v" * 128, metadata=metadata)
    )
    [stored] = service_instances(http, default_server, name)
    assert stored["id"] == result["id"]
    assert stored["metadata"] == metadata


def test_metadata_numbers_are_kept_as_sent(default_server, http):
    name = unique()
    metadata_text = (
        '{"big":123456789012345678901234567890,"p":1.10,"e":1E+2,"z":-0,"f":0.5e-3}'
    )
    body = (
        (
            '{"service_name":"NAME","endpoint":{"type":"http","value":"h:1"},'
            '"metadata":META}'
        )
        .replace("NAME", name)
        .replace("META", metadata_text)
    )
    assert post_raw(http, default_server, body).status_code == 201
    response = http.get(
        default_server.url(f"/api/v1/instances?service_name={name}&fields=metadata")
    )
    assert b'"metadata":' + metadata_text.encode() + b"}" in response.content


def test_metadata_with_a_number_beyond_a_double_is_refused(default_server, http):
    # docs/compatibility.md: most JSON parsers, the clients' included, cannot read it.
    name = unique()
    body = (
        '{"service_name":"NAME","endpoint":{"type":"http","value":"h:1"},'
        '"metadata":{"f":1e400}}'
    ).replace("NAME", name)
    response = post_raw(http, default_server, body)
    assert response.status_code == 400, response.text
    assert response.json() == {"Error": "Failed to register instance"}
    assert service_instances(http, default_server, name) == []


# --- capacity and concurrency ---------------------------------------------------


def test_namespace_capacity(capacity_server, http, namespace):
    """Capacity 2: a third new id is 403, re-registration at capacity still works."""
    auth = bearer(namespace)
    name = unique()
    first = register(http, capacity_server, instance_body(name, "h:1"), auth)
    register(http, capacity_server, instance_body(name, "h:2"), auth)

    response = http.post(
        capacity_server.url("/api/v1/instances"),
        json=instance_body(name, "h:3"),
        headers=auth,
    )
    assert_error(response, 403, REGISTRATION_FAILED)
    assert sorted(
        i["endpoint"]["value"]
        for i in service_instances(http, capacity_server, name, auth)
    ) == ["h:1", "h:2"]

    again = register(http, capacity_server, instance_body(name, "h:1", ttl=50), auth)
    assert again["id"] == first["id"]
    assert again["ttl"] == 50

    # Another namespace has its own capacity.
    register(
        http, capacity_server, instance_body(name, "h:3"), bearer(f"{namespace}-b")
    )

    # Freeing a slot makes room again.
    deleted = http.delete(
        capacity_server.url(f"/api/v1/instances/{first['id']}"), headers=auth
    )
    assert deleted.status_code == 200
    register(http, capacity_server, instance_body(name, "h:3"), auth)
    assert sorted(
        i["endpoint"]["value"]
        for i in service_instances(http, capacity_server, name, auth)
    ) == ["h:2", "h:3"]


def test_concurrent_registrations(default_server):
    name = unique()

    def register_one(n):
        with client_session() as session:
            return register(
                session, default_server, instance_body(name, f"10.9.0.{n}:80")
            )["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(register_one, range(40)))
    assert len(set(ids)) == 40
    with client_session() as http:
        listed = service_instances(http, default_server, name)
    assert sorted(i["id"] for i in listed) == sorted(ids)


def test_capacity_holds_under_concurrent_registrations(capacity_server, namespace):
    auth = bearer(namespace)

    def try_register(n):
        with client_session() as session:
            response = session.post(
                capacity_server.url("/api/v1/instances"),
                json=instance_body("race", f"10.8.0.{n}:80"),
                headers=auth,
            )
            return response.status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(try_register, range(16)))
    assert statuses == [201, 201] + [403] * 14
    with client_session() as http:
        assert len(service_instances(http, capacity_server, "race", auth)) == 2
