"""The metrics app: its plug-in adds the store wrapper and scrape-time figures."""

from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    label = "registry_metrics"
    registry_plugin = "metrics.plugin.MetricsPlugin"
