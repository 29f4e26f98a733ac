"""The native API, ``/api/v1`` (spec §5 as amended by decisions.md)."""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from rest_framework.decorators import action
from rest_framework.request import Request

from registry.api.base import RegistryViewSet, cached_response
from registry.api.errors import JsonResponse, RegistryError
from registry.api.openapi import native_instance_docs, native_service_docs
from registry.api.registration import (
    REGISTRATION_FAILED,
    RegistrationError,
    parse_registration,
)
from registry.api.rendering import FragmentCache, instance_members, render_instances
from registry.api.selection import Selection, SelectionError, parse_selection
from registry.api.transport import base_url
from registry.store.base import Catalog
from registry.store.errors import (
    CapacityExceededError,
    FieldTooLongError,
    InstanceNotFoundError,
)

SERVICE_LOOKUP_FAILED = "Failed to enumerate service names"
INSTANCE_NOT_FOUND = "Instance not found"
DEREGISTRATION_FAILED = "Failed to deregister instance"
RENEWAL_FAILED = "Failed to renew instance registration"

#: Texts of the length checks (decision Q4: real texts instead of raw message ids).
TOO_LONG_TEXTS = {
    "service_name": "Service name exceeded 64 bytes",
    "endpoint": (
        "Failed to register the instance because endpoint value exceeded 128 bytes"
    ),
    "status": "Status exceeded 32 bytes",
    "metadata": "Metadata exceeded 1024 bytes",
}


@native_service_docs
class ServiceViewSet(RegistryViewSet):
    """``/api/v1/services``: service names, and the instances of one service."""

    lookup_field = "service_name"
    lookup_value_regex = "[^/]+"

    def list(self, request: Request) -> HttpResponse:
        catalog = self.catalog()
        entry = self.runtime.responses.get_or_render(
            (self.namespace, "services"),
            (catalog.revision,),
            lambda: orjson.dumps({"services": catalog.list_services()}),
        )
        return cached_response(entry)

    def retrieve(self, request: Request, service_name: str) -> HttpResponse:
        catalog = self.catalog()
        entry = self.runtime.responses.get_or_render(
            (self.namespace, "service", service_name),
            (catalog.service_revision(service_name),),
            lambda: _render_service(
                catalog, service_name, self.runtime.fragments, self.namespace
            ),
        )
        return cached_response(entry)


def _render_service(
    catalog: Catalog, service_name: str, fragments: FragmentCache, namespace: str
) -> bytes:
    instances = catalog.list_instances(service_name)
    if not instances:
        raise RegistryError(404, SERVICE_LOOKUP_FAILED)
    encoded = fragments.encode(namespace, instances)
    return b'{"service_name":%s,"instances":%s}' % (orjson.dumps(service_name), encoded)


@native_instance_docs
class InstanceViewSet(RegistryViewSet):
    """``/api/v1/instances``: register, list and filter, get, deregister, renew."""

    lookup_field = "instance_id"
    lookup_value_regex = "[^/]+"

    def create(self, request: Request) -> HttpResponse:
        try:
            registration = parse_registration(
                request.body, self.runtime.config.ttl_clamp
            )
        except RegistrationError as err:
            raise RegistryError(400, str(err)) from err
        try:
            record = self.catalog().register(registration)
        except FieldTooLongError as err:
            raise RegistryError(400, TOO_LONG_TEXTS[err.field]) from err
        except CapacityExceededError as err:
            raise RegistryError(403, REGISTRATION_FAILED) from err
        self_link = f"{base_url(request.META)}/api/v1/instances/{record.id}"
        body = {
            "id": record.id,
            "ttl": record.ttl,
            "links": {"self": self_link, "heartbeat": f"{self_link}/heartbeat"},
        }
        response = JsonResponse(orjson.dumps(body), status=201)
        response["Location"] = self_link
        return response

    def list(self, request: Request) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        try:
            selection = parse_selection(query)
        except SelectionError as err:
            raise RegistryError(400, str(err)) from err
        catalog = self.catalog()
        revision = (
            catalog.revision
            if selection.service_name is None
            else catalog.service_revision(selection.service_name)
        )
        entry = self.runtime.responses.get_or_render(
            (self.namespace, "instances", query),
            (revision,),
            lambda: _render_selection(
                catalog, selection, self.runtime.fragments, self.namespace
            ),
        )
        return cached_response(entry)

    def retrieve(self, request: Request, instance_id: str) -> HttpResponse:
        try:
            record = self.catalog().get_instance(instance_id)
        except InstanceNotFoundError as err:
            raise RegistryError(404, INSTANCE_NOT_FOUND) from err
        return JsonResponse(orjson.dumps({"instance": instance_members(record)}))

    def destroy(self, request: Request, instance_id: str) -> HttpResponse:
        try:
            self.catalog().deregister(instance_id)
        except InstanceNotFoundError as err:
            raise RegistryError(410, DEREGISTRATION_FAILED) from err
        return JsonResponse()

    @action(detail=True, methods=["put"])
    def heartbeat(self, request: Request, instance_id: str) -> HttpResponse:
        try:
            self.catalog().renew(instance_id)
        except InstanceNotFoundError as err:
            raise RegistryError(410, RENEWAL_FAILED) from err
        return JsonResponse()


def _render_selection(
    catalog: Catalog, selection: Selection, fragments: FragmentCache, namespace: str
) -> bytes:
    instances = catalog.list_instances(selection.service_name)
    if selection.predicate is not None:
        instances = [i for i in instances if selection.predicate(i)]
    if selection.fields is None:
        return b'{"instances":%s}' % fragments.encode(namespace, instances)
    return orjson.dumps({"instances": render_instances(instances, selection.fields)})
