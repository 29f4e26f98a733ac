"""Django settings. The registry's own configuration is ``registry.config`` (``A8_*``
variables and flags); nothing here is meant to be changed per deployment."""

from __future__ import annotations

import secrets

# No sessions, cookies, signing or ORM are used; the key only satisfies Django.
SECRET_KEY = secrets.token_urlsafe(32)
DEBUG = False
# The registry answers on any name; its links echo the Host header (spec §5.3).
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
    # Before the apps that wrap catalogs: its store wrapper is the innermost, so
    # it measures the backend's calls.
    "metrics",
    "dashboard",
    "eureka_compat",
    # Replication before catalogs: its wrapper is inside the merge (spec §12.1:
    # the replicated store, then the sources), so a source's read-only instances
    # are never in the snapshots, digests or writes it sends; each node reads its
    # own sources (tests/replication/test_catalog_sources.py).
    "replication",
    "catalogs",
]
# Single-purpose middleware, outermost first (registry.http.middleware says why
# this order).
MIDDLEWARE = [
    # Only in the chain when the metrics setting is on (it removes itself).
    "metrics.middleware.RequestMetricsMiddleware",
    "registry.http.middleware.AccessLogMiddleware",
    "registry.http.middleware.RequestIdMiddleware",
    "registry.http.middleware.GzipMiddleware",
    "registry.http.middleware.ConditionalGetMiddleware",
    "registry.http.middleware.BodyLimitMiddleware",
    "registry.http.middleware.JsonBodyMiddleware",
    "registry.http.middleware.HttpsRedirectMiddleware",
]
# The APIs by path prefix, first match first (registry.http.apis): what no view
# handles (unknown paths, uncaught exceptions, 413, 415) is answered in the error
# format of the path's API, which also says whether the 415 and HTTPS checks apply.
REGISTRY_HTTP_APIS = [
    "eureka_compat.urls.EUREKA_API",
    "registry.api.errors.NATIVE_API",
    "registry.api.errors.OTHER_PATHS",
]
ROOT_URLCONF = "registry_project.urls"
WSGI_APPLICATION = "registry_project.wsgi.application"
DATABASES: dict[str, dict[str, str]] = {}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": ["django.template.context_processors.request"]
        },
    }
]
STATIC_URL = "/static/"
USE_TZ = True
# The middleware refuses bodies over 1 MiB with a JSON 413 before Django's own
# check (HTML 400) could; keep Django's above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
USE_I18N = False
DEFAULT_CHARSET = "utf-8"
# Logging is configured by registry.logging_setup from A8_LOG_LEVEL / A8_LOG_FORMAT.
LOGGING_CONFIG = None

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.http.authentication.BearerAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    # The native API's; the Eureka views override get_exception_handler().
    "EXCEPTION_HANDLER": "registry.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Service Registry API",
    "DESCRIPTION": (
        "Multi-tenant service registry: the native Amalgam8 API (`/api/v1`) and a "
        "Eureka-compatible API."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The operations are documented in the registry/api/openapi/ package; this hook
    # appends what every route shares (errors, caching, compression, request ids).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.openapi.hooks.describe_common_behaviour",
        "eureka_compat.openapi.xml_bodies.xml_registration_bodies",
    ],
    # Kept as named before the native registration body got its schema from the
    # parser's field table (no enum component: case-insensitive values are a pattern).
    "ENUM_NAME_OVERRIDES": {
        "EurekaInstanceStatusEnum": "eureka_compat.openapi.shapes.STATUS_CHOICES",
    },
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "TAGS": [
        {"name": "services", "description": "Service names and their instances."},
        {
            "name": "instances",
            "description": "Register, list, get, deregister and renew instances.",
        },
        {"name": "health", "description": "Probes; no authentication."},
    ],
    "LICENSE": {"name": "Apache-2.0"},
}
