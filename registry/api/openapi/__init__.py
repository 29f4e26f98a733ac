"""The OpenAPI description of the HTTP API (drf-spectacular), at ``/api/schema/``.

Nothing here takes part in handling a request. Every error text is taken from the
constant the views use, so the description cannot drift from the behaviour
(``tests/test_openapi.py`` checks the wiring). The modules:

* :mod:`.shapes`: documentation serializers of the bodies;
* :mod:`.parameters`: headers, path and query parameters (built with the helpers
  of :mod:`registry.http.openapi`, shared with the Eureka API's description);
* :mod:`.responses`: error responses and the errors every route shares;
* :mod:`.operations`: ``extend_schema`` with what every operation shares;
* :mod:`.native` and :mod:`.health`: the decorators of the views;
* :mod:`.hooks`: the schema post-processing hook named in the settings.

The views are decorated with :func:`native_service_docs`, :func:`native_instance_docs`,
:func:`root_docs` and :func:`uptime_docs`. Importing this package also registers
the ``bearerAuth`` scheme (:class:`registry.http.openapi.BearerAuthenticationScheme`),
so every module using the decorators imports it.
"""

from __future__ import annotations

from registry.api.openapi.health import root_docs, uptime_docs
from registry.api.openapi.hooks import describe_common_behaviour
from registry.api.openapi.native import native_instance_docs, native_service_docs
from registry.http.openapi import BEARER_SCHEME_NAME, BearerAuthenticationScheme

__all__ = [
    "BEARER_SCHEME_NAME",
    "BearerAuthenticationScheme",
    "describe_common_behaviour",
    "native_instance_docs",
    "native_service_docs",
    "root_docs",
    "uptime_docs",
]
