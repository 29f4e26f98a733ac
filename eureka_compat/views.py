"""The Eureka REST API (eureka-api.md §3-§4) over the registry's catalogs.

Error responses have empty bodies (Spring's strict reader parses any body), except
a registration's 400, which carries a short ``text/plain`` reason as Eureka's does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from rest_framework.authentication import BaseAuthentication

from eureka_compat import documents, openapi
from eureka_compat.authentication import EurekaAuthentication
from eureka_compat.documents import Document
from eureka_compat.encoding import DocumentEncoder
from eureka_compat.errors import EUREKA_ERRORS
from eureka_compat.fields import (
    FALLBACK_VALUE,
    FALLBACK_VALUE_NAMES,
    OVERRIDE_VALUE,
    OVERRIDE_VALUE_NAMES,
)
from eureka_compat.formats import (
    JSON,
    MalformedBodyError,
    UnsupportedBodyError,
    decode,
    encode,
    response_media_type,
)
from eureka_compat.instances import (
    EurekaRegistrationError,
    app_name,
    java_long,
    parse_registration,
    read_status,
    store_id,
    vip_addresses,
)
from eureka_compat.rules import metadata_update, override_update, renewal_guard
from eureka_compat.statuses import UNKNOWN
from registry.http.errors import JsonResponse, RegistryError
from registry.http.views import NamespacedView, cached_response
from registry.store.base import Catalog
from registry.store.errors import (
    CapacityExceededError,
    FieldTooLongError,
    InstanceNotFoundError,
    RenewalRefusedError,
)
from registry.store.records import ServiceInstance

if TYPE_CHECKING:
    pass

#: Full-registry documents show lease renewal times; like Eureka's own response
#: cache they may be this stale, so heartbeats do not re-render them.
RENDER_BUCKET_NS = 30 * 1_000_000_000


class EurekaView(NamespacedView):
    """Base of the Eureka views."""

    authentication_classes: Sequence[type[BaseAuthentication]] = (EurekaAuthentication,)

    def get_exception_handler(
        self,
    ) -> Callable[[Exception, dict[str, Any]], HttpResponse | None]:
        """Eureka's own handler: errors with empty bodies (:mod:`.errors`)."""
        return EUREKA_ERRORS.handle_exception

    def media_type(self) -> str:
        return response_media_type(self.request.META.get("HTTP_ACCEPT", ""))

    def document(self, build: Callable[[], dict[str, Any]]) -> HttpResponse:
        media_type = self.media_type()
        return _varying(
            HttpResponse(encode(build(), media_type), content_type=media_type)
        )

    def cached_document(
        self,
        kind: str,
        arg: str,
        catalog: Catalog,
        render: Callable[[DocumentEncoder, str], bytes],
        compressed: bool = False,
    ) -> HttpResponse:
        """A document cached until the next change (or render bucket);
        ``compressed``: kept as gzip only (:mod:`registry.http.cache`)."""
        media_type = self.media_type()
        revision = (
            catalog.change_revision,
            self.runtime.clock.now_ns() // RENDER_BUCKET_NS,
        )
        encoder = self.runtime.component("eureka.encoder", DocumentEncoder)
        entry = self.responses.get_or_render(
            (self.namespace, "eureka", kind, arg, media_type),
            revision,
            lambda: render(encoder, media_type),
            compressed,
        )
        accept_encoding = self.request.META.get("HTTP_ACCEPT_ENCODING", "")
        return _varying(cached_response(entry, media_type, accept_encoding))

    def cached_applications(
        self,
        kind: str,
        arg: str,
        catalog: Catalog,
        build: Callable[[], Document],
        compressed: bool = False,
    ) -> HttpResponse:
        """An ``applications`` document (full registry, delta, VIP)."""

        def render(encoder: DocumentEncoder, media_type: str) -> bytes:
            document = build()
            return encoder.applications(
                self.namespace,
                media_type,
                document.entries,
                document.version,
                document.hashcode,
                compressed=compressed,
            )

        return self.cached_document(kind, arg, catalog, render, compressed)

    def find(self, app: str, instance_id: str) -> ServiceInstance:
        """An instance by its id within ``app``, to read it (404 when unknown):
        a Eureka registration, else a natively registered instance of that app."""
        try:
            return self.find_registered(app, instance_id)
        except RegistryError:
            pass
        try:
            record = self.catalog().get_instance(instance_id)  # natively registered
        except InstanceNotFoundError as err:
            raise not_found() from err
        if app_name(record) != app.upper():
            raise not_found()
        return record

    def find_registered(self, app: str, instance_id: str) -> ServiceInstance:
        """An instance registered through the Eureka API, to write it (404 when
        unknown). Writes address the store id ``<APP>:<id>`` only (spec §6.4.2,
        §6.4.3, §6.4.8): a natively registered instance is renewed, cancelled
        and changed through the native API, so a Eureka write to it is a 404,
        like one to any id this API never registered (decisions.md)."""
        try:
            return self.catalog().get_instance(store_id(app, instance_id))
        except InstanceNotFoundError as err:
            raise not_found() from err


def not_found() -> RegistryError:
    return RegistryError(404, "")


def registered() -> HttpResponse:
    return JsonResponse(status=204, content_type=JSON)


def _varying(response: HttpResponse) -> HttpResponse:
    """Documents depend on ``Accept`` (JSON or XML): caches must know."""
    response["Vary"] = "Accept"
    return response


def ok() -> HttpResponse:
    return JsonResponse(status=200, content_type=JSON)


def app_instances(catalog: Catalog, app: str) -> list[ServiceInstance]:
    """Instances of an application, its name matched case-insensitively."""
    wanted = app.upper()
    return [
        instance
        for service in catalog.list_services()
        if service.upper() == wanted
        for instance in catalog.list_instances(service)
    ]


@openapi.applications_docs
class ApplicationsView(EurekaView):
    """``GET apps`` and ``GET apps/``: the full registry."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, token: str = "") -> HttpResponse:
        catalog = self.catalog()
        return self.cached_applications(
            "apps",
            "",
            catalog,
            lambda: documents.full_registry(catalog.list_instances()),
            # The largest body; every Eureka client takes gzip.
            compressed=True,
        )


@openapi.delta_docs
class DeltaView(EurekaView):
    """``GET apps/delta``: changes of the last three minutes."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, token: str = "") -> HttpResponse:
        catalog = self.catalog()
        revision = catalog.change_revision
        return self.cached_applications(
            "delta",
            "",
            catalog,
            lambda: documents.delta(
                catalog.recent_changes(), catalog.list_instances(), revision
            ),
        )


@openapi.application_docs
class ApplicationView(EurekaView):
    """``GET apps/{app}`` and ``POST apps/{app}`` (register)."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, app: str, token: str = "") -> HttpResponse:
        catalog = self.catalog()
        name = app.upper()

        def render(encoder: DocumentEncoder, media_type: str) -> bytes:
            instances = app_instances(catalog, name)
            if not instances:
                raise not_found()
            return encoder.application(self.namespace, media_type, name, instances)

        return self.cached_document("app", name, catalog, render)

    def post(self, request: HttpRequest, app: str, token: str = "") -> HttpResponse:
        try:
            document = decode(request.body, request.META.get("CONTENT_TYPE", ""))
        except UnsupportedBodyError as err:
            raise RegistryError(415, "") from err
        except MalformedBodyError as err:
            return bad_registration(str(err))
        runtime = self.runtime
        now_ms = runtime.clock.now_ns() // 1_000_000
        try:
            parsed = parse_registration(document, app, runtime.config.ttl_clamp, now_ms)
        except EurekaRegistrationError as err:
            return bad_registration(str(err))
        try:
            # Eureka's rules (the newer copy wins, the override survives) run
            # inside the store: eureka_compat.rules.
            self.catalog().register(parsed.registration)
        except FieldTooLongError as err:
            return bad_registration(f"{err.field} exceeded {err.limit} bytes")
        except CapacityExceededError as err:
            raise RegistryError(403, "") from err
        return registered()


def bad_registration(reason: str) -> HttpResponse:
    return HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8")


@openapi.instance_docs
class InstanceView(EurekaView):
    """``GET``, ``PUT`` (renew) and ``DELETE`` (cancel) ``apps/{app}/{id}``."""

    http_method_names = ["get", "put", "delete"]

    def get(
        self, request: HttpRequest, app: str, instance_id: str, token: str = ""
    ) -> HttpResponse:
        record = self.find(app, instance_id)
        return self.document(lambda: documents.instance(record))

    def put(
        self, request: HttpRequest, app: str, instance_id: str, token: str = ""
    ) -> HttpResponse:
        # The hottest Eureka route: one store call, which finds the instance.
        guard = renewal_guard(_int_param(request, "lastDirtyTimestamp"))
        try:
            self.catalog().renew(store_id(app, instance_id), guard)
        except (InstanceNotFoundError, RenewalRefusedError) as err:
            raise not_found() from err
        return ok()

    def delete(
        self, request: HttpRequest, app: str, instance_id: str, token: str = ""
    ) -> HttpResponse:
        try:
            self.catalog().deregister(store_id(app, instance_id))
        except InstanceNotFoundError as err:
            raise not_found() from err
        return ok()


@openapi.status_docs
class StatusView(EurekaView):
    """``PUT`` and ``DELETE apps/{app}/{id}/status``: the status override."""

    http_method_names = ["put", "delete"]

    def put(
        self, request: HttpRequest, app: str, instance_id: str, token: str = ""
    ) -> HttpResponse:
        sent = request.GET.get(OVERRIDE_VALUE.name, "")
        value = OVERRIDE_VALUE_NAMES.get(sent.strip().upper())
        if value is None:
            raise RegistryError(400, "")
        return self._override(request, app, instance_id, value, value)

    def delete(
        self, request: HttpRequest, app: str, instance_id: str, token: str = ""
    ) -> HttpResponse:
        sent = request.GET.get(FALLBACK_VALUE.name)
        status = read_status(sent, FALLBACK_VALUE, FALLBACK_VALUE_NAMES)
        return self._override(request, app, instance_id, UNKNOWN, status)

    def _override(
        self,
        request: HttpRequest,
        app: str,
        instance_id: str,
        override: str,
        status: str,
    ) -> HttpResponse:
        record = self.find_registered(app, instance_id)
        now_ms = self.runtime.clock.now_ns() // 1_000_000
        change = override_update(
            override, status, _int_param(request, "lastDirtyTimestamp"), now_ms
        )
        try:
            self.catalog().update(record.id, change)
        except InstanceNotFoundError as err:
            raise not_found() from err
        return ok()


@openapi.metadata_docs
class MetadataView(EurekaView):
    """``PUT apps/{app}/{id}/metadata?k=v``: merge metadata (a re-registration)."""

    http_method_names = ["put"]

    def put(
        self, request: HttpRequest, app: str, instance_id: str, token: str = ""
    ) -> HttpResponse:
        record = self.find_registered(app, instance_id)
        try:
            self.catalog().update(record.id, metadata_update(request.GET.dict()))
        except InstanceNotFoundError as err:
            raise not_found() from err
        except FieldTooLongError as err:
            raise RegistryError(400, "") from err
        return ok()


@openapi.instance_by_id_docs
class InstanceByIdView(EurekaView):
    """``GET instances/{id}``: the first instance with that id in any app."""

    http_method_names = ["get"]

    def get(
        self, request: HttpRequest, instance_id: str, token: str = ""
    ) -> HttpResponse:
        found = _instance_in_any_app(self.catalog(), instance_id)
        if found is None:
            raise not_found()
        return self.document(lambda: documents.instance(found))


def _instance_in_any_app(catalog: Catalog, instance_id: str) -> ServiceInstance | None:
    """A natively registered instance with that id, else the Eureka one of the
    first app (by name) that has it: a lookup per service, never a scan of every
    instance."""
    candidates = [instance_id]
    candidates += [
        store_id(service, instance_id) for service in catalog.list_services()
    ]
    for candidate in candidates:
        try:
            return catalog.get_instance(candidate)
        except InstanceNotFoundError:
            continue
    return None


@openapi.vip_docs
class VipView(EurekaView):
    """``GET vips/{vip}`` (or ``svips/{svip}``): instances answering to a VIP."""

    http_method_names = ["get"]
    secure = False

    def get(self, request: HttpRequest, vip: str, token: str = "") -> HttpResponse:
        catalog = self.catalog()
        return self.cached_applications(
            "svips" if self.secure else "vips",
            vip,
            catalog,
            lambda: documents.vip_registry(
                [
                    instance
                    for instance in catalog.list_instances()
                    if vip in vip_addresses(instance, self.secure)
                ]
            ),
        )


@openapi.secure_vip_docs
class SecureVipView(VipView):
    secure = True


def _int_param(request: HttpRequest, name: str) -> int | None:
    """An integer query parameter; ``None`` when absent or not an integer, 400
    when past a Java ``long`` (it would be stored, and Eureka refuses it)."""
    if not request.META.get("QUERY_STRING"):
        return None  # what request.GET, built for nothing, would say
    try:
        return java_long(request.GET.get(name))
    except ValueError as err:
        raise RegistryError(400, "") from err
