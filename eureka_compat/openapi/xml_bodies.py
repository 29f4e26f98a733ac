"""The XML request body of the Eureka registration, generated from the parser's table.

The XML codec reads ``<instance>…</instance>``: the root element *is* the JSON
document's only member, attributes are the ``@name`` members and an element's text is
``$`` (:func:`registry.http.fields.xml_schema`). drf-spectacular puts a serializer's
schema behind a ``$ref`` only; this hook puts the XML schema in its place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eureka_compat.fields import INSTANCE
from eureka_compat.formats import XML
from registry.http.fields import xml_schema

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

#: The JSON registration body's component (``COMPONENT_SPLIT_REQUEST`` suffixes it).
REGISTRATION_REF = {"$ref": "#/components/schemas/EurekaRegistrationRequest"}


def xml_registration_bodies(
    result: dict[str, Any],
    generator: SchemaGenerator,
    request: Request | None,
    public: bool,
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: an ``<instance>`` root for the XML bodies."""
    for item in result.get("paths", {}).values():
        body = item.get("post", {}).get("requestBody", {}).get("content", {})
        if XML in body and body[XML].get("schema") == REGISTRATION_REF:
            body[XML]["schema"] = xml_schema(INSTANCE)
    return result
