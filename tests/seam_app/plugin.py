"""The test app's plug-in (see tests/test_seam.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from registry.plugins import BackgroundService, HealthComponent, RegistryPlugin
from registry.store.base import Catalog, ForwardingCatalog, RenewGuard, UpdateFunction
from registry.store.clock import ManualClock
from registry.store.memory import InMemoryCatalog
from registry.store.merged import MergedCatalog
from registry.store.records import (
    Endpoint,
    InstanceRegistration,
    ServiceInstance,
)
from registry.store.rules import RegistrationRule

if TYPE_CHECKING:
    from registry.runtime import RegistryRuntime

#: The read-only source's one instance, in every namespace.
READ_ONLY_ID = "readonly-1"
#: Registrations of this service get the tag the rule adds.
TAGGED_SERVICE = "tagged"


class CountingCatalog(ForwardingCatalog):
    """Counts the write verbs; overrides nothing else."""

    def __init__(self, inner: Catalog, namespace: str) -> None:
        super().__init__(inner)
        self.namespace = namespace
        self.writes: Counter[str] = Counter()

    def register(self, registration: InstanceRegistration) -> ServiceInstance:
        self.writes["register"] += 1
        return super().register(registration)

    def deregister(self, instance_id: str) -> ServiceInstance:
        self.writes["deregister"] += 1
        return super().deregister(instance_id)

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        self.writes["renew"] += 1
        super().renew(instance_id, guard)

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        self.writes["update"] += 1
        return super().update(instance_id, change)


class AddTag:
    """A rule: instances of :data:`TAGGED_SERVICE` get the tag ``ruled``."""

    def applies_to(self, registration: InstanceRegistration) -> bool:
        return registration.service_name == TAGGED_SERVICE

    def admit(
        self, incoming: InstanceRegistration, existing: ServiceInstance | None
    ) -> InstanceRegistration | None:
        return dataclasses.replace(incoming, tags=(*incoming.tags, "ruled"))


class RecordingService:
    """A background service that records its lifecycle."""

    def __init__(self) -> None:
        self.name = "seam-recorder"
        self.events: list[str] = []

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


class SeamPlugin(RegistryPlugin):
    def rules(self, runtime: RegistryRuntime) -> Sequence[RegistrationRule]:
        return [AddTag()]

    def wrap(
        self, namespace: str, catalog: Catalog, runtime: RegistryRuntime
    ) -> Catalog:
        source = InMemoryCatalog(ManualClock())
        source.register(
            InstanceRegistration(
                id=READ_ONLY_ID,
                service_name="readonly",
                endpoint=Endpoint("tcp", "10.9.9.9:80"),
                status="UP",
                ttl=0,
            )
        )
        return CountingCatalog(MergedCatalog(catalog, [source]), namespace)

    def services(self, runtime: RegistryRuntime) -> Sequence[BackgroundService]:
        return [RecordingService()]

    def health(self, runtime: RegistryRuntime) -> Mapping[str, HealthComponent]:
        started = runtime.services[-1]
        assert isinstance(started, RecordingService)
        return {"SEAM": (started.events[-1:] == ["start"], {"events": started.events})}
