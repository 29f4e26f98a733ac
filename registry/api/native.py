"""The native API, ``/api/v1`` (spec §5 as amended by decisions.md)."""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from rest_framework import viewsets
from rest_framework.decorators import action

from registry.api.errors import (
    DEREGISTRATION_FAILED,
    INSTANCE_NOT_FOUND,
    RENEWAL_FAILED,
    SERVICE_LOOKUP_FAILED,
    TOO_LONG_TEXTS,
)
from registry.api.openapi import native_instance_docs, native_service_docs
from registry.api.registration import (
    REGISTRATION_FAILED,
    RegistrationError,
    parse_registration,
)
from registry.api.rendering import encode_instances, instance_members, render_instances
from registry.api.selection import Selection, SelectionError, parse_selection
from registry.http.errors import JsonResponse, RegistryError
from registry.http.fragments import ElementCache
from registry.http.transport import base_url
from registry.http.views import NamespacedView, cached_response
from registry.store.base import Catalog
from registry.store.errors import (
    CapacityExceededError,
    FieldTooLongError,
    InstanceNotFoundError,
)


class RegistryViewSet(viewsets.ViewSetMixin, NamespacedView):
    """Base of the native API's viewsets.

    The registry ignores ``Accept`` (spec §2.2); HEAD and OPTIONS are not
    routes (spec §2.1).
    """

    http_method_names = ["get", "post", "put", "delete"]


@native_service_docs
class ServiceViewSet(RegistryViewSet):
    """``/api/v1/services``: service names, and the instances of one service."""

    lookup_field = "service_name"
    lookup_value_regex = "[^/]+"

    def list(self, request: HttpRequest) -> HttpResponse:
        catalog = self.catalog()
        entry = self.responses.get_or_render(
            (self.namespace, "services"),
            (catalog.revision,),
            lambda: orjson.dumps({"services": catalog.list_services()}),
        )
        return cached_response(entry)

    def retrieve(self, request: HttpRequest, service_name: str) -> HttpResponse:
        catalog = self.catalog()
        entry = self.responses.get_or_render(
            (self.namespace, "service", service_name),
            (catalog.service_revision(service_name),),
            lambda: _render_service(
                catalog,
                service_name,
                self.runtime.component("native.fragments", ElementCache),
                self.namespace,
            ),
        )
        return cached_response(entry)


def _render_service(
    catalog: Catalog, service_name: str, fragments: ElementCache, namespace: str
) -> bytes:
    instances = catalog.list_instances(service_name)
    if not instances:
        raise RegistryError(404, SERVICE_LOOKUP_FAILED)
    head = b'{"service_name":%s,"instances":' % orjson.dumps(service_name)
    return encode_instances(fragments, namespace, instances, head, b"}")


@native_instance_docs
class InstanceViewSet(RegistryViewSet):
    """``/api/v1/instances``: register, list and filter, get, deregister, renew."""

    lookup_field = "instance_id"
    lookup_value_regex = "[^/]+"

    def create(self, request: HttpRequest) -> HttpResponse:
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

    def list(self, request: HttpRequest) -> HttpResponse:
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
        entry = self.responses.get_or_render(
            (self.namespace, "instances", query),
            (revision,),
            lambda: _render_selection(
                catalog,
                selection,
                self.runtime.component("native.fragments", ElementCache),
                self.namespace,
                complete=not query,
            ),
        )
        return cached_response(entry)

    def retrieve(self, request: HttpRequest, instance_id: str) -> HttpResponse:
        try:
            record = self.catalog().get_instance(instance_id)
        except InstanceNotFoundError as err:
            raise RegistryError(404, INSTANCE_NOT_FOUND) from err
        return JsonResponse(orjson.dumps({"instance": instance_members(record)}))

    def destroy(self, request: HttpRequest, instance_id: str) -> HttpResponse:
        try:
            self.catalog().deregister(instance_id)
        except InstanceNotFoundError as err:
            raise RegistryError(410, DEREGISTRATION_FAILED) from err
        return JsonResponse()

    @action(detail=True, methods=["put"])
    def heartbeat(self, request: HttpRequest, instance_id: str) -> HttpResponse:
        try:
            self.catalog().renew(instance_id)
        except InstanceNotFoundError as err:
            raise RegistryError(410, RENEWAL_FAILED) from err
        return JsonResponse()


def _render_selection(
    catalog: Catalog,
    selection: Selection,
    fragments: ElementCache,
    namespace: str,
    complete: bool = False,
) -> bytes:
    """``complete``: the plain listing, which becomes the home of the elements
    (see :mod:`registry.http.fragments`)."""
    instances = catalog.select_instances(
        selection.service_name, selection.predicate, selection.criteria
    )
    if selection.fields is None:
        return encode_instances(
            fragments, namespace, instances, b'{"instances":', b"}", complete
        )
    return orjson.dumps({"instances": render_instances(instances, selection.fields)})
