"""Routes of the dashboard, under ``/dashboard/``."""

from __future__ import annotations

from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.page, name="dashboard"),
    path("fragments/services", views.services_fragment, name="dashboard-services"),
    path("fragments/instances", views.instances_fragment, name="dashboard-instances"),
    path("fragments/health", views.health_fragment, name="dashboard-health"),
]
