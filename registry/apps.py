from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """The core app. Starts nothing: background work belongs to the runtime."""

    name = "registry"
    verbose_name = "Service registry"

    def ready(self) -> None:
        # The registry has no database, yet django.db connects two receivers to
        # every request's start and end; they cost a few microseconds per
        # heartbeat for nothing.
        from django.core import signals
        from django.db import close_old_connections, reset_queries

        signals.request_started.disconnect(reset_queries)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
