"""The dashboard app: templates and views of ``/dashboard/``."""

from __future__ import annotations

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    label = "registry_dashboard"
