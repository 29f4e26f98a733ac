"""Kubernetes Endpoints (or EndpointSlices) and Pods as instances (spec §12.2).

Each Endpoints object names a service; every ready address x port of every subset
is one instance (``notReadyAddresses`` are ignored). An EndpointSlice belongs to the
service of its ``kubernetes.io/service-name`` label; every address x port of its
ready endpoints is one instance. For both:

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

from lightkube.models import discovery_v1
from lightkube.models.core_v1 import EndpointPort, ObjectReference
from lightkube.resources.core_v1 import Endpoints, Pod
from lightkube.resources.discovery_v1 import EndpointSlice

from registry.store.records import Endpoint, ServiceInstance, stored_json

AnyPort = EndpointPort | discovery_v1.EndpointPort
#: The label that ties an EndpointSlice to its Service.
SERVICE_NAME_LABEL: Final = "kubernetes.io/service-name"
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
            pod = _pod_of(address.targetRef, pods)
            for port in subset.ports or ():
                record = _instance(service, address.ip, port, pod)
                if record is not None:
                    instances.append(record)
    return instances


def slice_instances(
    slices: Iterable[EndpointSlice], pods: Mapping[str, Pod]
) -> list[ServiceInstance]:
    """Every instance of every EndpointSlice (discovery.k8s.io/v1).

    A slice belongs to the service its ``kubernetes.io/service-name`` label names;
    an endpoint counts when its ``ready`` condition is not false (unset means
    ready, as the API says), once per address and port of the slice.
    """
    instances = []
    for item in slices:
        labels = (item.metadata.labels if item.metadata else None) or {}
        service = labels.get(SERVICE_NAME_LABEL)
        if not service:
            continue
        for endpoint in item.endpoints or ():
            if endpoint.conditions is not None and endpoint.conditions.ready is False:
                continue
            pod = _pod_of(endpoint.targetRef, pods)
            for ip in endpoint.addresses:
                for port in item.ports or ():
                    record = _instance(service, ip, port, pod)
                    if record is not None:
                        instances.append(record)
    return instances


def endpoint_type(port: AnyPort) -> str | None:
    """``udp``, ``http``, ``https`` or ``tcp``; ``None`` for other protocols."""
    protocol = (port.protocol or "TCP").upper()
    if protocol == "UDP":
        return "udp"
    if protocol != "TCP":
        return None
    name = (port.name or "").lower()
    return name if name in ("http", "https") else "tcp"


def _pod_of(ref: ObjectReference | None, pods: Mapping[str, Pod]) -> Pod | None:
    if ref is None or ref.kind != "Pod" or not ref.name:
        return None
    return pods.get(ref.name)


def _instance(
    service: str, ip: str | None, port: AnyPort, pod: Pod | None
) -> ServiceInstance | None:
    kind = endpoint_type(port)
    if kind is None or not ip or port.port is None:
        return None
    meta = pod.metadata if pod is not None else None
    if meta is not None and meta.uid:
        record_id = f"{meta.uid}-{port.port}"
    else:
        record_id = f"{ip}-{port.port}"
    return ServiceInstance(
        id=record_id,
        service_name=service,
        endpoint=Endpoint(kind, f"{ip}:{port.port}"),
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
