"""The XML request body of the Eureka registration, derived from its JSON schema.

The XML codec reads ``<instance>…</instance>``: the root element *is* the JSON
document's only member, attributes are the ``@name`` members and an element's text is
``$``. OpenAPI's ``xml`` object says the first two; text beside attributes (``<port
enabled="true">8080</port>``) it cannot say, so ``$`` is described, not mapped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eureka_compat.formats import XML

if TYPE_CHECKING:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

_REF = "#/components/schemas/"
_TEXT_NOTE = ' XML: `$` is the element\'s text, e.g. `<port enabled="true">80</port>`.'


def xml_registration_bodies(
    result: dict[str, Any],
    generator: SchemaGenerator,
    request: Request | None,
    public: bool,
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: an ``<instance>`` root for the XML bodies."""
    components = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        body = item.get("post", {}).get("requestBody", {}).get("content", {})
        if XML in body and "instance" in _properties(body[XML]["schema"], components):
            wrapper = _properties(body[XML]["schema"], components)
            body[XML]["schema"] = {
                **_xml(wrapper["instance"], components),
                "xml": {"name": "instance"},
            }
    return result


def _properties(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    return _resolved(schema, components).get("properties", {})


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].removeprefix(_REF)]
    return schema


def _xml(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` inlined, ``@name`` members as attributes, ``$`` described."""
    schema = dict(_resolved(schema, components))
    schema.pop("nullable", None)  # XML has no null: `<metadata>null</metadata>` is text
    if "anyOf" in schema:
        schema["anyOf"] = [_xml(choice, components) for choice in schema["anyOf"]]
    members = schema.get("properties")
    if not members:
        return schema
    mapped: dict[str, Any] = {}
    for name, member in members.items():
        if name == "$":
            schema["description"] = schema.get("description", "") + _TEXT_NOTE
        elif name.startswith("@"):
            attribute = {**_xml(member, components)}
            attribute["xml"] = {"name": name[1:], "attribute": True}
            mapped[name[1:]] = attribute
        else:
            mapped[name] = _xml(member, components)
    schema["properties"] = mapped
    required = [name.removeprefix("@") for name in schema.get("required", [])]
    schema["required"] = [name for name in required if name != "$"]
    if not schema["required"]:
        del schema["required"]
    return schema
