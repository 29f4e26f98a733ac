"""Kubernetes Endpoints and Pods as read-only instances (spec §12.2).

Each Endpoints object names a service; every ready address x port of every subset
is one instance (``notReadyAddresses`` are ignored):

* id ``<pod UID>-<port>`` when the address refers to a known pod, else
  ``<ip>-<port>``;
* endpoint ``<ip>:<port>``, type ``udp`` for UDP, for TCP the lower-cased port name
  when it is ``http`` or ``https``, else ``tcp``; other protocols are skipped;
* a known pod gives status ``UP``, its labels as ``key=value`` tags and its
  annotations as metadata (``null`` when it has none); an unknown pod gives an
  empty status, no tags and no metadata;
* TTL 0, no heartbeat time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from lightkube.models.core_v1 import EndpointAddress, EndpointPort
from lightkube.resources.core_v1 import Endpoints, Pod

from registry.store.records import Endpoint, ServiceInstance, stored_json

#: A Kubernetes namespace name (an RFC 1123 label). Registry namespaces that are
#: not one have no Kubernetes catalog.
NAMESPACE_NAME: Final = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def kubernetes_namespace(namespace: str) -> str | None:
    """The Kubernetes namespace of a registry namespace, ``None`` if it has none."""
    name = namespace or "default"
    return name if NAMESPACE_NAME.fullmatch(name) else None


def service_instances(
    endpoints: Iterable[Endpoints], pods: Mapping[str, Pod]
) -> list[ServiceInstance]:
    """Every instance of every Endpoints object; ``pods`` by pod name."""
    return [record for item in endpoints for record in endpoints_instances(item, pods)]


def endpoints_instances(
    endpoints: Endpoints, pods: Mapping[str, Pod]
) -> list[ServiceInstance]:
    """The instances of one Endpoints object (its name is the service name)."""
    service = endpoints.metadata.name if endpoints.metadata else None
    if not service:
        return []
    instances = []
    for subset in endpoints.subsets or ():
        for address in subset.addresses or ():
            pod = _pod_of(address, pods)
            for port in subset.ports or ():
                record = _instance(service, address, port, pod)
                if record is not None:
                    instances.append(record)
    return instances


def endpoint_type(port: EndpointPort) -> str | None:
    """``udp``, ``http``, ``https`` or ``tcp``; ``None`` for other protocols."""
    protocol = (port.protocol or "TCP").upper()
    if protocol == "UDP":
        return "udp"
    if protocol != "TCP":
        return None
    name = (port.name or "").lower()
    return name if name in ("http", "https") else "tcp"


def _pod_of(address: EndpointAddress, pods: Mapping[str, Pod]) -> Pod | None:
    ref = address.targetRef
    if ref is None or ref.kind != "Pod" or not ref.name:
        return None
    return pods.get(ref.name)


def _instance(
    service: str, address: EndpointAddress, port: EndpointPort, pod: Pod | None
) -> ServiceInstance | None:
    kind = endpoint_type(port)
    if kind is None or not address.ip:
        return None
    meta = pod.metadata if pod is not None else None
    if meta is not None and meta.uid:
        record_id = f"{meta.uid}-{port.port}"
    else:
        record_id = f"{address.ip}-{port.port}"
    return ServiceInstance(
        id=record_id,
        service_name=service,
        endpoint=Endpoint(kind, f"{address.ip}:{port.port}"),
        status="UP" if pod is not None else "",
        ttl=0,
        metadata=None if pod is None else stored_json(_annotations(pod)),
        tags=() if meta is None else _labels(meta.labels),
        registration_ns=0,
        last_renewal_ns=0,
    )


def _annotations(pod: Pod) -> dict[str, str] | None:
    annotations = pod.metadata.annotations if pod.metadata else None
    return dict(annotations) if annotations else None


def _labels(labels: Mapping[str, str] | None) -> tuple[str, ...]:
    return tuple(f"{key}={value}" for key, value in sorted((labels or {}).items()))
