"""The node's health as the dashboard shows it: ``/uptime``'s components."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.api.rendering import rfc3339_ns
from registry.health import uptime_properties
from registry.runtime import RegistryRuntime

#: UPTIME properties that change on every request: left out so that the health
#: fragment's ETag only moves when something an operator cares about does.
VOLATILE = frozenset({"uptime", "load_1m", "load_5m", "load_15m", "pid"})


@dataclass(frozen=True)
class Component:
    name: str
    healthy: bool
    properties: list[tuple[str, str]]


def health_components(runtime: RegistryRuntime) -> list[Component]:
    """``UPTIME``, ``STORE``, then every plug-in's (``CLUSTER``, ``REPLICATION``,
    catalog sources), as ``/uptime`` reports them."""
    uptime = {
        key: value for key, value in uptime_properties().items() if key not in VOLATILE
    }
    uptime["started"] = rfc3339_ns(runtime.started_ns)
    components = [Component("UPTIME", True, _shown(uptime))]
    store_healthy, store_properties = runtime.store.health()
    components.append(Component("STORE", store_healthy, _shown(store_properties)))
    for plugin in runtime.plugins:
        for name, (healthy, properties) in plugin.health(runtime).items():
            components.append(Component(name, healthy, _shown(properties)))
    return components


def _shown(properties: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Properties as (name, text) rows; nested mappings (a catalog source per
    namespace, a peer's queue) become rows of their own: ``namespaces.web.synced``."""
    rows: list[tuple[str, str]] = []
    for key, value in sorted(properties.items(), key=lambda item: str(item[0])):
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows.extend(_shown(value, f"{name}."))
        else:
            rows.append((name, str(value)))
    return rows
