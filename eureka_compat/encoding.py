"""Eureka collection documents encoded from cached per-instance bytes.

The full registry of 10,000 instances costs ~100 ms to encode as JSON and several
hundred as XML; any registration, status change or removal makes it stale. Each
instance element is therefore encoded once per format and reused while its record
is unchanged (records are immutable values: equality, or identity for the
in-memory store), and a document is the join of its elements.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import orjson

from eureka_compat.formats import JSON
from eureka_compat.instances import app_name, instance_tree
from eureka_compat.xml_codec import render_text_element, render_xml
from registry.http.fragments import ElementCache
from registry.store.records import ServiceInstance

Entry = tuple[ServiceInstance, str]  # an instance and its actionType


class DocumentEncoder:
    """Encodes ``applications`` and ``application`` documents in JSON or XML."""

    def __init__(self) -> None:
        self._elements = ElementCache()

    def applications(
        self,
        namespace: str,
        media_type: str,
        entries: Iterable[Entry],
        version: str,
        hashcode: str,
    ) -> bytes:
        """``{"applications": ...}``: the entries grouped by application."""
        listed = list(entries)
        encoded = self._encode(namespace, media_type, listed)
        grouped: dict[str, list[bytes]] = {}
        for (instance, _), element in zip(listed, encoded, strict=True):
            grouped.setdefault(app_name(instance), []).append(element)
        if media_type == JSON:
            apps = b",".join(
                _json_application(name, elements) for name, elements in grouped.items()
            )
            return (
                b'{"applications":{"versions__delta":%s,"apps__hashcode":%s,"application":[%s]}}'
                % (
                    orjson.dumps(version),
                    orjson.dumps(hashcode),
                    apps,
                )
            )
        apps = b"".join(
            _xml_application(name, elements) for name, elements in grouped.items()
        )
        head = render_text_element("versions__delta", version)
        head += render_text_element("apps__hashcode", hashcode)
        return b"<applications>" + head + apps + b"</applications>"

    def application(
        self,
        namespace: str,
        media_type: str,
        name: str,
        instances: Iterable[ServiceInstance],
    ) -> bytes:
        """``{"application": ...}`` of one application's instances."""
        elements = self._encode(
            namespace, media_type, [(i, "ADDED") for i in instances]
        )
        if media_type == JSON:
            return b'{"application":%s}' % _json_application(name, elements)
        return _xml_application(name, elements)

    def _encode(
        self, namespace: str, media_type: str, entries: list[Entry]
    ) -> list[bytes]:
        encode = _encode_json if media_type == JSON else _encode_xml
        return self._elements.encode_all(
            (namespace, media_type),
            (((instance.id, action), instance) for instance, action in entries),
            encode,
        )


def _encode_json(key: Hashable, instance: ServiceInstance) -> bytes:
    return orjson.dumps(instance_tree(instance, _action(key)))


def _encode_xml(key: Hashable, instance: ServiceInstance) -> bytes:
    return render_xml({"instance": instance_tree(instance, _action(key))})


def _action(key: Hashable) -> str:
    """The actionType of an element key ``(id, actionType)``."""
    assert isinstance(key, tuple)
    return str(key[1])


def _json_application(name: str, elements: list[bytes]) -> bytes:
    return b'{"name":%s,"instance":[%s]}' % (orjson.dumps(name), b",".join(elements))


def _xml_application(name: str, elements: list[bytes]) -> bytes:
    return (
        b"<application>"
        + render_text_element("name", name)
        + b"".join(elements)
        + b"</application>"
    )
