"""JSON or XML, chosen the way Eureka chooses (eureka-api.md §2).

Responses: JSON when ``Accept`` contains ``json``, XML otherwise (no ``Accept`` at
all included). Request bodies: by ``Content-Type``; a body without one is read by
its first character.
"""

from __future__ import annotations

from typing import Any

import orjson

from eureka_compat.xml_codec import XmlDocumentError, parse_xml, render_xml
from registry.http.json_bodies import JsonBodyError, loads_json

JSON = "application/json"
XML = "application/xml"


class UnsupportedBodyError(ValueError):
    """The request body is neither JSON nor XML."""


class MalformedBodyError(ValueError):
    """The request body does not parse; ``str(err)`` is a short reason."""


def response_media_type(accept: str) -> str:
    return JSON if "json" in accept else XML


def encode(document: dict[str, Any], media_type: str) -> bytes:
    return orjson.dumps(document) if media_type == JSON else render_xml(document)


def decode(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON-shaped tree of a request body."""
    media_type = content_type.partition(";")[0].strip().lower()
    if not media_type:
        media_type = XML if body.lstrip().startswith(b"<") else JSON
    if media_type.endswith("json"):
        try:
            value = loads_json(body)
        except JsonBodyError as err:
            raise MalformedBodyError(str(err)) from err
        if not isinstance(value, dict):
            raise MalformedBodyError("Expected a JSON object")
        return value
    if media_type.endswith("xml"):
        try:
            return parse_xml(body)
        except XmlDocumentError as err:
            raise MalformedBodyError(str(err)) from err
    raise UnsupportedBodyError(media_type)
