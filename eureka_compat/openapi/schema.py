"""The Eureka views' schema class, and :func:`docs`, which applies it.

One view serves ``/eureka/v2/``, ``/eureka/`` and ``/api/eureka/{token}/v2/``, so
:class:`EurekaAutoSchema` gives each operation id the route's prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from drf_spectacular.drainage import set_override
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_view

from eureka_compat.authentication import EurekaAuthentication
from registry.http.openapi import View, path

# EurekaAuthentication is BearerAuthentication plus the path token: it shares the
# `bearerAuth` scheme (BearerAuthenticationScheme matches subclasses) on purpose.
set_override(EurekaAuthentication, "suppress_collision_warning", True)

#: Route prefix -> operation id prefix, most specific first.
PREFIXES = (
    ("/api/eureka/{token}/v2/", "eurekaToken"),
    ("/eureka/v2/", "eurekaV2"),
    ("/eureka/", "eureka"),
)
_PATH_TEXTS = {
    "token": "Namespace token, like the native API's bearer token (see `bearerAuth`); "
    "may be empty (`/api/eureka//v2/apps`). An `Authorization` header wins.",
    "app": "Application name, any case (`demo-app` is `DEMO-APP`).",
    "instance_id": "The `instanceId` (e.g. `10.0.0.5:reviews:9080`), percent-decoded: "
    "`:` raw or `%3A`; a `.` is part of the id. Native instances: their native id "
    "(read routes only; the write routes answer 404 for them).",
    "vip": "A VIP address, matched exactly (case-sensitive).",
}
PATH_PARAMETERS = {name: path(name, text) for name, text in _PATH_TEXTS.items()}


class EurekaAutoSchema(AutoSchema):
    """Path parameters from :data:`PATH_PARAMETERS`; operation ids per prefix."""

    def get_override_parameters(self) -> list[Any]:
        names = re.findall(r"\{(\w+)\}", self.path)
        return [
            *super().get_override_parameters(),
            *(PATH_PARAMETERS[name] for name in names),
        ]

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            route = self.path
            prefix = next(name for start, name in PREFIXES if route.startswith(start))
            base = str(operation["operationId"])
            operation["operationId"] = prefix + base[0].upper() + base[1:]
        return operation


def docs(**operations: Any) -> Callable[[View], View]:
    """Documents a view: ``operations`` per method, and :class:`EurekaAutoSchema`."""

    def decorate(view: View) -> View:
        view.schema = EurekaAutoSchema()  # type: ignore[attr-defined]
        decorated: View = extend_schema_view(**operations)(view)
        return decorated

    return decorate
