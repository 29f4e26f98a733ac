"""One rule for tokens in the Authorization header and in the Eureka path
(hardening): ASCII tokens name the same namespace in both places; a non-ASCII
token (``ünï`` as UTF-8 or any other bytes) is a 401 in both, never another
namespace."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote

import pytest

from tests.e2e.support import RegistryServer, unique

pytestmark = pytest.mark.e2e


def request(
    server: RegistryServer,
    method: str,
    path: str,
    authorization: bytes | None = None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    """One request whose Authorization header goes out as these exact bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest(method, path)
        if authorization is not None:
            connection.putheader("Authorization", authorization)
        if body is not None:
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
        connection.putheader("Accept", "application/json")
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_header_token_and_the_path_token_name_one_namespace(trusted_server):
    namespace = unique("ns")
    header = f"Bearer {namespace}".encode()
    service = unique("tokens")
    body = json.dumps(
        {"service_name": service, "endpoint": {"type": "tcp", "value": "10.0.0.1:1"}}
    ).encode()
    status, created = request(trusted_server, "POST", "/api/v1/instances", header, body)
    assert status == 201, created
    instance_id = json.loads(created)["id"]

    status, document = request(
        trusted_server, "GET", f"/api/eureka/{namespace}/v2/apps/{service.upper()}"
    )
    assert status == 200, document
    [instance] = json.loads(document)["application"]["instance"]
    assert instance["instanceId"] == instance_id


@pytest.mark.parametrize(
    "token",
    ["ünï".encode(), b"\xfcn\xef", "ns-\u2028".encode()],
    ids=["utf8", "latin1", "separator"],
)
def test_a_non_ascii_token_is_401_in_the_header_and_in_the_path(trusted_server, token):
    service = unique("tokens")
    body = json.dumps(
        {"service_name": service, "endpoint": {"type": "tcp", "value": "10.0.0.1:1"}}
    ).encode()
    status, answer = request(
        trusted_server, "POST", "/api/v1/instances", b"Bearer " + token, body
    )
    assert status == 401, answer
    assert set(json.loads(answer)) == {"Error"}

    if _is_utf8(token):
        # Bytes that are not UTF-8 stay percent-escaped in the decoded path (an
        # ASCII name like any other); UTF-8 ones decode, and are refused.
        path_token = quote(token, safe="")
        path = f"/api/eureka/{path_token}/v2/apps"
        assert request(trusted_server, "GET", path) == (401, b"")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
