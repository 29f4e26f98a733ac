from __future__ import annotations

from django.apps import AppConfig


class EurekaCompatConfig(AppConfig):
    """The Netflix-Eureka-compatible API over the registry's store."""

    name = "eureka_compat"
    verbose_name = "Eureka-compatible API"
    #: Eureka's registration rule runs inside every catalog (eureka_compat.rules).
    registry_plugin = "eureka_compat.rules.EurekaPlugin"
