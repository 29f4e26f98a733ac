"""Endpoints and Pods as instances (spec §12.2)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from lightkube.resources.core_v1 import Endpoints, Pod
from lightkube.resources.discovery_v1 import EndpointSlice

from catalogs.kubernetes_mapping import (
    kubernetes_namespace,
    service_instances,
    slice_instances,
)
from tests.catalogs.fakes import endpoint_slice, endpoints, pod


def as_endpoints(tree: dict[str, Any]) -> Endpoints:
    return cast(Endpoints, Endpoints.from_dict(tree))


def as_slice(tree: dict[str, Any]) -> EndpointSlice:
    return cast(EndpointSlice, EndpointSlice.from_dict(tree))


def as_pod(tree: dict[str, Any]) -> Pod:
    return cast(Pod, Pod.from_dict(tree))


PORTS = [
    {"name": "http", "port": 80, "protocol": "TCP"},
    {"name": "HTTPS", "port": 443},
    {"name": "grpc", "port": 9000, "protocol": "TCP"},
    {"name": "dns", "port": 53, "protocol": "UDP"},
    {"name": "sctp", "port": 7, "protocol": "SCTP"},
]


def test_every_ready_address_and_port_is_an_instance():
    item = as_endpoints(
        endpoints(
            "web", [("10.0.0.1", "web-1"), ("10.0.0.2", None)], PORTS, ["10.0.0.3"]
        )
    )
    pods = {"web-1": as_pod(pod("web-1", "u1", {"b": "2", "a": "1"}, {"x": "y"}))}
    records = service_instances([item], pods)
    assert [(r.id, r.endpoint.type, r.endpoint.value, r.status) for r in records] == [
        ("u1-80", "http", "10.0.0.1:80", "UP"),
        ("u1-443", "https", "10.0.0.1:443", "UP"),
        ("u1-9000", "tcp", "10.0.0.1:9000", "UP"),
        ("u1-53", "udp", "10.0.0.1:53", "UP"),
        ("10.0.0.2-80", "http", "10.0.0.2:80", ""),
        ("10.0.0.2-443", "https", "10.0.0.2:443", ""),
        ("10.0.0.2-9000", "tcp", "10.0.0.2:9000", ""),
        ("10.0.0.2-53", "udp", "10.0.0.2:53", ""),
    ]
    known, unknown = records[0], records[4]
    assert (known.tags, known.metadata, known.ttl) == (("a=1", "b=2"), b'{"x":"y"}', 0)
    assert (unknown.tags, unknown.metadata) == ((), None)
    assert all(r.service_name == "web" for r in records)


def test_a_pod_without_annotations_has_null_metadata():
    item = as_endpoints(endpoints("web", [("10.0.0.1", "p")], PORTS[:1]))
    [record] = service_instances([item], {"p": as_pod(pod("p", "u"))})
    assert (record.metadata, record.tags) == (b"null", ())


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [("", "default"), ("default", "default"), ("team-a", "team-a"), ("Team_A", None)],
)
def test_registry_namespaces_map_to_kubernetes_names(namespace, expected):
    assert kubernetes_namespace(namespace) == expected


def test_endpoint_slices_map_like_endpoints():
    tree = endpoint_slice(
        "web-1",
        "web",
        [("10.0.0.1", "p", True), ("10.0.0.2", None, None), ("10.0.0.3", None, False)],
        [*PORTS[:1], {"name": "all", "protocol": "TCP"}],  # no port number: skipped
    )
    tree["endpoints"][1]["addresses"].append("10.0.0.9")
    orphan = endpoint_slice("x", "web", [("10.0.0.4", None, True)], PORTS[:1])
    del orphan["metadata"]["labels"]  # no service: ignored
    slices = [as_slice(tree), as_slice(orphan)]
    records = slice_instances(slices, {"p": as_pod(pod("p", "u", {"k": "v"}))})
    assert [(r.id, r.endpoint.value, r.status, r.tags) for r in records] == [
        ("u-80", "10.0.0.1:80", "UP", ("k=v",)),
        ("10.0.0.2-80", "10.0.0.2:80", "", ()),
        ("10.0.0.9-80", "10.0.0.9:80", "", ()),
    ]
