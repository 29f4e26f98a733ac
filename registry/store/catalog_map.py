"""Namespace -> Catalog, created on first use.

Creating one namespace's catalog never blocks requests of another (spec quirk Q20):
the lookup of an existing namespace takes no lock, and the lock held while a new
catalog is published covers a dict insertion only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from registry.store.base import Catalog

CatalogFactory = Callable[[str], Catalog]


class CatalogMap:
    """Every namespace's catalog in this process."""

    def __init__(self, factory: CatalogFactory) -> None:
        self._factory = factory
        self._catalogs: dict[str, Catalog] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str) -> Catalog:
        """The catalog of ``namespace``, created when first asked for."""
        catalog = self._catalogs.get(namespace)
        if catalog is not None:
            return catalog
        created = self._factory(namespace)
        with self._lock:
            return self._catalogs.setdefault(namespace, created)

    def names(self) -> list[str]:
        """The namespaces that have a catalog so far."""
        return list(self._catalogs)

    def items(self) -> list[tuple[str, Catalog]]:
        """A snapshot of every (namespace, catalog) created so far."""
        return list(self._catalogs.items())

    def expire_all(self) -> int:
        """Run expiry in every namespace; return how many instances expired."""
        return self.expire(self.names())

    def expire(self, namespaces: Iterable[str]) -> int:
        """Run expiry in ``namespaces`` (created if need be); return how many went."""
        return sum(self.get(name).expire() for name in namespaces)
