"""WSGI entry point (``registry_project.wsgi:application``) for granian and gunicorn."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry_project.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from registry.http.handler import RegistryWSGIHandler  # noqa: E402 (needs setup)

application = RegistryWSGIHandler()
