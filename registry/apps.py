from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """The core app. Starts nothing: background work belongs to the runtime."""

    name = "registry"
    verbose_name = "Service registry"
