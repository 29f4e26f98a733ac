"""A namespace's own instances merged with read-only sources (spec §12.1).

:class:`MergedCatalog` overrides the reads: a listing shows the namespace's own
instances first, then each source's in order, an id already shown being skipped
(the namespace's own copy wins). Sources whose ids cannot be the store's
(:attr:`~registry.store.base.CatalogReader.may_hold_store_ids`) are not compared
with the namespace's own, and filters run on each part separately, so that a
source's snapshot can keep its filtered answers. Revisions are combined
(:func:`~registry.store.base.combined_revision`), so caches and ETags move when any
source changes. Writes go to the namespace's own catalog; a write to an instance
that only a source holds raises :class:`ReadOnlyInstanceError`, which each API
answers as it answers an unknown id.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from operator import attrgetter
from typing import TypeVar

from registry.store.base import (
    Catalog,
    CatalogReader,
    ForwardingCatalog,
    RenewGuard,
    UpdateFunction,
    combined_revision,
)
from registry.store.errors import InstanceNotFoundError, ReadOnlyInstanceError
from registry.store.records import Change, ServiceInstance

T = TypeVar("T")

_ID = attrgetter("id")


class MergedCatalog(ForwardingCatalog):
    """``inner`` (the namespace's own, writable) followed by read-only ``sources``."""

    def __init__(self, inner: Catalog, sources: Sequence[CatalogReader]) -> None:
        super().__init__(inner)
        self.sources = tuple(sources)

    # -- reads ----------------------------------------------------------------

    @property
    def revision(self) -> int:
        return combined_revision(
            [self.inner.revision, *(s.revision for s in self.sources)]
        )

    @property
    def change_revision(self) -> int:
        return combined_revision(
            [self.inner.change_revision, *(s.change_revision for s in self.sources)]
        )

    def service_revision(self, service_name: str) -> int:
        return combined_revision(
            [
                self.inner.service_revision(service_name),
                *(s.service_revision(service_name) for s in self.sources),
            ]
        )

    def get_instance(self, instance_id: str) -> ServiceInstance:
        for part in (self.inner, *self.sources):
            try:
                return part.get_instance(instance_id)
            except InstanceNotFoundError:
                continue
        raise InstanceNotFoundError(instance_id)

    def list_instances(self, service_name: str | None = None) -> list[ServiceInstance]:
        if not self.sources:
            return self.inner.list_instances(service_name)
        return self._merge(service_name, None, None)

    def select_instances(
        self,
        service_name: str | None,
        predicate: Callable[[ServiceInstance], bool] | None,
        criteria: Hashable = None,
    ) -> Sequence[ServiceInstance]:
        if not self.sources:
            return self.inner.select_instances(service_name, predicate, criteria)
        return self._merge(service_name, predicate, criteria)

    def _merge(
        self,
        service_name: str | None,
        predicate: Callable[[ServiceInstance], bool] | None,
        criteria: Hashable,
    ) -> list[ServiceInstance]:
        """The own instances in scope that ``predicate`` accepts, then each
        source's; a source's instance whose id a part before it holds in scope is
        left out, whether or not the filter accepts that part's copy (so a filter
        never brings a hidden copy to light).

        Each source filters its own instances (a snapshot keeps the answers per
        ``criteria``), and the ids are compared only when a source shows
        something that may collide: a cold filtered list costs the namespace's
        own scan plus, usually, nothing.
        """
        own = self.inner.list_instances(service_name)
        kept: list[Sequence[ServiceInstance]] = []
        shown: set[str] | None = None  # ids in scope before the current source
        for index, source in enumerate(self.sources):
            part = source.select_instances(service_name, predicate, criteria)
            if part and (index > 0 or source.may_hold_store_ids):
                if shown is None:
                    shown = set(map(_ID, own))
                    for before in self.sources[:index]:
                        shown.update(map(_ID, before.list_instances(service_name)))
                if not shown.isdisjoint(map(_ID, part)):
                    part = [record for record in part if record.id not in shown]
            if shown is not None and index + 1 < len(self.sources):
                whole = (
                    part if predicate is None else source.list_instances(service_name)
                )
                shown.update(map(_ID, whole))
            kept.append(part)
        merged = own if predicate is None else [r for r in own if predicate(r)]
        for part in kept:
            merged.extend(part)
        return merged

    def list_services(self) -> list[str]:
        names = set(self.inner.list_services())
        for source in self.sources:
            names.update(source.list_services())
        return sorted(names)

    def count_by_status(self) -> dict[str, int]:
        """The own catalog's counts, plus the sources' instances it does not
        shadow: only the services the sources supply are read from it.

        Shadowing is checked within a service: an id the namespace holds under
        another service than a source's copy (ids are derived from the service,
        so only a hand-made Eureka ``instanceId`` can do that) counts twice, where
        the namespace-wide listing shows it once.
        """
        counts = self.inner.count_by_status()
        shown: dict[str, set[str]] = {}
        for source in self.sources:
            for record in source.list_instances():
                seen = shown.get(record.service_name)
                if seen is None:
                    own = self.inner.list_instances(record.service_name)
                    seen = shown[record.service_name] = {r.id for r in own}
                if record.id not in seen:
                    seen.add(record.id)
                    counts[record.status] = counts.get(record.status, 0) + 1
        return counts

    def recent_changes(self) -> list[Change]:
        changes = list(self.inner.recent_changes())
        for source in self.sources:
            changes.extend(source.recent_changes())
        changes.sort(key=lambda change: change.at_ns)  # stable: own first on ties
        return changes

    # -- writes: the namespace's own instances only ---------------------------

    def deregister(self, instance_id: str) -> ServiceInstance:
        return self._own(instance_id, lambda: self.inner.deregister(instance_id))

    def renew(self, instance_id: str, guard: RenewGuard | None = None) -> None:
        self._own(instance_id, lambda: self.inner.renew(instance_id, guard))

    def update(self, instance_id: str, change: UpdateFunction) -> ServiceInstance:
        return self._own(instance_id, lambda: self.inner.update(instance_id, change))

    def _own(self, instance_id: str, write: Callable[[], T]) -> T:
        """Run ``write``; an id that only a source holds is read-only."""
        try:
            return write()
        except InstanceNotFoundError:
            if any(_holds(source, instance_id) for source in self.sources):
                raise ReadOnlyInstanceError(instance_id) from None
            raise


def _holds(source: CatalogReader, instance_id: str) -> bool:
    try:
        source.get_instance(instance_id)
    except InstanceNotFoundError:
        return False
    return True
