"""The OpenAPI description of the Eureka-compatible API (drf-spectacular).

Nothing here takes part in handling a request. The views are decorated with the
``*_docs`` objects of :mod:`.views`, which also give them
:class:`~eureka_compat.openapi.schema.EurekaAutoSchema`; :mod:`.shapes` holds the
documentation serializers of Eureka's wire format (eureka-api.md §6; the registration
body is generated from the parser's table, :mod:`eureka_compat.fields`, and
:mod:`.xml_bodies` gives it its XML form), :mod:`.examples` the example documents
and :mod:`.operations` what every operation shares. Headers,
parameters and the ``bearerAuth`` scheme come from :mod:`registry.http.openapi`.
``docs/eureka.md`` is the prose guide.
"""

from __future__ import annotations

from eureka_compat.openapi.schema import EurekaAutoSchema
from eureka_compat.openapi.views import (
    application_docs,
    applications_docs,
    delta_docs,
    instance_by_id_docs,
    instance_docs,
    metadata_docs,
    secure_vip_docs,
    status_docs,
    vip_docs,
)

__all__ = [
    "EurekaAutoSchema",
    "application_docs",
    "applications_docs",
    "delta_docs",
    "instance_by_id_docs",
    "instance_docs",
    "metadata_docs",
    "secure_vip_docs",
    "status_docs",
    "vip_docs",
]
