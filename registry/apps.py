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
        from django.core.cache import close_caches
        from django.core.handlers.base import reset_urlconf
        from django.db import close_old_connections, reset_queries

        signals.request_started.disconnect(reset_queries)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        # Nor does it use Django's cache framework (its caches are its own, by
        # revision), yet django.core.cache closes every cache after each request.
        signals.request_finished.disconnect(close_caches)
        # The registry's handler never sets a per-request URLconf (unset means
        # ROOT_URLCONF; registry.http.handler), so it has none to reset. Django's
        # test client, which sets one per request, sets it again on the next, and
        # a ROOT_URLCONF override resets it (django.test.signals).
        signals.request_finished.disconnect(reset_urlconf)
        # Give what full garbage collections free back to the system.
        from registry import malloc

        malloc.trim_after_full_collections()
