from __future__ import annotations

from django.apps import AppConfig


class EurekaCompatConfig(AppConfig):
    """The Netflix-Eureka-compatible API over the registry's store."""

    name = "eureka_compat"
    verbose_name = "Eureka-compatible API"
