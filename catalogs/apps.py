from __future__ import annotations

from django.apps import AppConfig


class CatalogsConfig(AppConfig):
    """Read-only instances from Kubernetes, a remote Eureka and files (spec §12)."""

    name = "catalogs"
    registry_plugin = "catalogs.plugin.CatalogsPlugin"
