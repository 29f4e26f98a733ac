"""The replication app: plugs into the store seam (:mod:`registry.plugins`)."""

from __future__ import annotations

from django.apps import AppConfig


class ReplicationConfig(AppConfig):
    name = "replication"
    registry_plugin = "replication.plugin.ReplicationPlugin"
