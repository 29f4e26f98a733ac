from __future__ import annotations

from django.apps import AppConfig


class SeamAppConfig(AppConfig):
    name = "tests.seam_app"
    label = "seam_app"
    registry_plugin = "tests.seam_app.plugin.SeamPlugin"
