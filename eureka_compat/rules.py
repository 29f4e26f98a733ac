"""Eureka's registry rules, run inside the store's atomic step.

Real Eureka keeps them inside ``AbstractInstanceRegistry.register()`` and
``renew()``; here they are a :class:`~registry.store.rules.RegistrationRule` that
every catalog applies (so HTTP, replication and a second process sharing Redis all
obey them) and functions the views hand to the store's ``renew`` and ``update``,
which evaluate them against the stored copy atomically with the write.

* Registration (eureka-api.md §4.1): a stored copy whose ``lastDirtyTimestamp`` is
  newer than the registration's wins (it is renewed, not replaced); otherwise the
  stored status override and service-up time survive, and the status rule chain
  runs against the stored status.
* Renewal (§4.2): refused (404) while the status is ``UNKNOWN`` (an override was
  removed: "re-register required") or when the client's ``lastDirtyTimestamp`` is
  newer than the stored one.
* Status override and metadata changes (§4.5, §4.7) are computed from the stored
  copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from eureka_compat.fields import TAGS_METADATA_KEY
from eureka_compat.instances import (
    EXTENSION_PREFIX,
    REPORTED_STATUS_KEY,
    extension_of,
    last_dirty_ms,
    merged_metadata,
    stored_extension,
    tags_of,
    with_status_override,
)
from eureka_compat.statuses import UNKNOWN, effective_status
from registry.plugins import RegistryPlugin
from registry.store.base import InstanceUpdate, RenewGuard, UpdateFunction
from registry.store.records import InstanceRegistration, ServiceInstance
from registry.store.rules import RegistrationRule

if TYPE_CHECKING:
    from registry.runtime import RegistryRuntime


class EurekaRegistrationRule:
    """Which copy wins, and what survives, when a Eureka instance registers again."""

    def applies_to(self, registration: InstanceRegistration) -> bool:
        extension = registration.extension
        return extension is not None and extension.startswith(EXTENSION_PREFIX)

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        if existing is None:
            return incoming
        assert incoming.extension is not None  # applies_to
        document: dict[str, Any] = orjson.loads(incoming.extension)
        stored = extension_of(existing)
        incoming_dirty = int(document.get("lastDirtyTimestamp", 0))
        if last_dirty_ms(existing, stored) > incoming_dirty:
            return None  # the stored copy is newer: keep it
        stored = stored or {}
        reported = document.get(REPORTED_STATUS_KEY, incoming.status)
        kept_override = stored.get("overriddenstatus", UNKNOWN)
        override = (
            kept_override
            if kept_override != UNKNOWN
            else document.get("overriddenstatus", UNKNOWN)
        )
        status = effective_status(str(reported), str(override), existing.status)
        document["overriddenstatus"] = override
        service_up = stored.get("serviceUpTimestamp")
        if isinstance(service_up, int):
            document["serviceUpTimestamp"] = service_up
        if reported != status:
            document[REPORTED_STATUS_KEY] = reported
        else:
            document.pop(REPORTED_STATUS_KEY, None)
        return dataclasses.replace(
            incoming,
            status=status,
            extension=stored_extension(document, incoming.service_name.upper()),
        )


def renewal_guard(client_dirty_ms: int | None) -> RenewGuard:
    """Eureka's renew conditions, for :meth:`CatalogWriter.renew`."""

    def renewable(record: ServiceInstance) -> bool:
        if record.status == UNKNOWN:
            return False  # "re-register required" after an override removal
        # A client with newer data than ours must re-register.
        return client_dirty_ms is None or client_dirty_ms <= last_dirty_ms(record)

    return renewable


def override_update(
    override: str, status: str, client_dirty_ms: int | None, now_ms: int
) -> UpdateFunction:
    """A status override set (or removed, ``override`` = ``UNKNOWN``)."""

    def change(record: ServiceInstance) -> InstanceUpdate:
        extension = with_status_override(record, override, client_dirty_ms, now_ms)
        return InstanceUpdate(status, record.metadata, record.tags, extension)

    return change


def metadata_update(updates: Mapping[str, str]) -> UpdateFunction:
    """``PUT .../metadata?k=v``: merged into the stored metadata; Eureka counts
    it as a re-registration (``actionType`` ADDED in the delta, eureka-api §4.5)."""

    def change(record: ServiceInstance) -> InstanceUpdate:
        tags = tags_of(updates) if TAGS_METADATA_KEY in updates else record.tags
        metadata = merged_metadata(record.metadata, updates)
        return dataclasses.replace(
            InstanceUpdate.of(record), metadata=metadata, tags=tags, reregister=True
        )

    return change


class EurekaPlugin(RegistryPlugin):
    """The Eureka API's contribution to every runtime: its registration rule."""

    def rules(self, runtime: RegistryRuntime) -> Sequence[RegistrationRule]:
        return [EurekaRegistrationRule()]
